"""Reports, health and metrics."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from router.api.context import services
from router.api.params import query_time, window
from router.api.routing import json_of, require, route
from router.reports import compliance


@route(
    "GET",
    "/v1/reports/compliance",
    roles=("manager",),
    query={"from": "window start (default 7 days ago)", "to": "window end (default now)"},
    summary="Timely-response and coverage compliance over a window",
)
async def compliance_report(request: web.Request) -> web.Response:
    require(request, "manager")
    svc = services(request)
    now = svc.engine.clock.now()
    end = query_time(request, "to", now)
    start = query_time(request, "from", end - timedelta(days=7))
    window(start, end)
    report = await compliance(
        svc.store,
        start,
        end,
        svc.engine.protocol.response_target.total_seconds(),
        now,
        await svc.store.latest_version(),
    )
    return json_of(report)


@route("GET", "/healthz", roles=None, summary="The process is alive", tag="ops")
async def healthz(request: web.Request) -> web.Response:
    return json_of({"status": "ok"})


@route("GET", "/readyz", roles=None, summary="The store is reachable", tag="ops")
async def readyz(request: web.Request) -> web.Response:
    ok = await services(request).store.ping()
    return json_of({"status": "ready" if ok else "store_unreachable"}, status=200 if ok else 503)


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
