"""The operations protocol in force: read it, activate a new version (admin), its history, its manual."""

from __future__ import annotations

from aiohttp import web

from protocols import ProtocolError, render_html, render_markdown
from router import policy
from router.api.audited import audited
from router.api.context import services
from router.api.errors import ApiError
from router.api.routing import json_of, principal, require, route

MAX_PROTOCOL = 256 * 1024


@route(
    "GET",
    "/v1/protocol",
    roles=("responder", "scheduler", "manager"),
    summary="The protocol in force (version, name, its rules as JSON)",
)
async def get_protocol(request: web.Request) -> web.Response:
    require(request, "responder", "scheduler", "manager")
    p = services(request).engine.protocol
    return json_of({"version": p.version, "name": p.name, "protocol": p.model_dump(mode="json")})


@route(
    "PUT",
    "/v1/protocol",
    roles=(),
    summary="Activate a protocol file (YAML body); errors name line and field; history is kept",
)
async def put_protocol(request: web.Request) -> web.Response:
    require(request)
    raw = await request.read()
    if len(raw) > MAX_PROTOCOL:
        raise ApiError(413, "too_large", f"a protocol file is at most {MAX_PROTOCOL} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_encoding", "the protocol file must be UTF-8 text") from exc
    svc = services(request)
    try:
        protocol, diff = await policy.activate(
            svc.store, text, principal(request).who, svc.engine.clock.now(), "request body"
        )
    except ProtocolError as exc:
        details = [{"loc": [], "msg": problem} for problem in exc.problems]
        raise ApiError(
            422, "invalid_protocol", "the protocol file has errors; nothing was changed", details
        ) from exc
    svc.engine.protocol = protocol
    await audited(request, "protocol.activate", detail=f"version={protocol.version}")
    return json_of({"version": protocol.version, "name": protocol.name, "changes": diff})


@route("GET", "/v1/protocol/history", roles=("manager",), summary="Every activation, oldest first")
async def history(request: web.Request) -> web.Response:
    require(request, "manager")
    found = await services(request).store.protocol_history()
    return json_of([a.model_dump(mode="json") for a in found])


@route(
    "GET",
    "/v1/protocol/manual",
    roles=("responder", "scheduler", "manager"),
    query={"format": "markdown (default) or html"},
    summary="The staff manual rendered from the protocol",
)
async def manual(request: web.Request) -> web.Response:
    require(request, "responder", "scheduler", "manager")
    p = services(request).engine.protocol
    if request.query.get("format") == "html":
        return web.Response(text=render_html(p), content_type="text/html", charset="utf-8")
    return web.Response(text=render_markdown(p), content_type="text/markdown", charset="utf-8")
