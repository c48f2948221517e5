"""Reports, tokens, health and metrics."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.api.auth import Role, hash_token, new_token
from router.api.context import services
from router.api.errors import parse_body
from router.api.ledger import WINDOW_QUERY, channel_of, fresh, span
from router.api.routing import json_of, require, route
from router.ledger.health import health
from router.models import TokenRecord
from router.reports import compliance


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    responder: str | None = Field(default=None, max_length=128)
    label: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _responder_for_responder_role(self) -> TokenIn:
        if self.role == "responder" and not self.responder:
            raise ValueError("a responder token names the responder it belongs to")
        return self


@route("POST", "/v1/tokens", roles=(), body=TokenIn, summary="Issue a bearer token (admin)")
async def create_token(request: web.Request) -> web.Response:
    require(request)
    body = await parse_body(request, TokenIn)
    svc = services(request)
    token = new_token()
    await svc.store.put_token(
        hash_token(token),
        TokenRecord(
            role=body.role, responder=body.responder, label=body.label, created_at=svc.engine.clock.now()
        ),
    )
    return json_of({"token": token, "role": body.role, "responder": body.responder}, status=201)


@route(
    "GET",
    "/v1/reports/compliance",
    roles=("manager",),
    query=WINDOW_QUERY,
    summary="Compliance over a window from the ledger: counts, standards 27-32 rated with evidence",
)
async def compliance_report(request: web.Request) -> web.Response:
    require(request, "manager")
    svc = services(request)
    start, end = span(request, svc)
    channel = channel_of(request)
    await fresh(svc)
    report = await compliance(
        svc.ledger,
        start,
        end,
        svc.engine.clock.now(),
        svc.engine.protocol,
        await svc.store.latest_version(),
        channel,
    )
    return json_of(report)


@route("GET", "/healthz", roles=None, summary="The process is alive", tag="ops")
async def healthz(request: web.Request) -> web.Response:
    return json_of({"status": "ok"})


@route(
    "GET",
    "/readyz",
    roles=None,
    summary="The store and the ledger are reachable; the ledger writer keeps up",
    tag="ops",
)
async def readyz(request: web.Request) -> web.Response:
    svc = services(request)
    if not await svc.store.ping():
        return json_of({"status": "store_unreachable"}, status=503)
    now = svc.engine.clock.now()
    found = await health(
        svc.store, svc.ledger, now, timedelta(seconds=svc.settings.ledger_stall_s), svc.started_at or now
    )
    ledger = {"cursor": found.cursor, "behind": found.behind, "stalled": found.stalled}
    if not found.reachable:
        return json_of({"status": "ledger_unreachable", "ledger": ledger}, status=503)
    if found.stalled:
        return json_of({"status": "ledger_writer_stalled", "ledger": ledger}, status=503)
    return json_of({"status": "ready", "ledger": ledger})


@route("GET", "/metrics", roles=None, summary="Prometheus metrics", tag="ops")
async def metrics(request: web.Request) -> web.Response:
    svc = services(request)
    m = svc.engine.metrics
    m.queue_depth.set(await svc.store.queue_depth())
    m.open_contacts.set(len(await svc.store.open_contacts()))
    return web.Response(
        body=m.render(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )
