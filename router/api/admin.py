"""Reports, health and metrics."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from router.api.context import services
from router.api.report_ask import WINDOW_QUERY, report_ask
from router.api.routing import json_of, route
from router.ledger.health import health
from router.reports import compliance
from router.skew import MAX_SKEW_S, check_clock


@route(
    "GET",
    "/v1/reports/compliance",
    roles=("manager",),
    query=WINDOW_QUERY,
    summary="Compliance over a window from the ledger: counts, standards 27-32 rated with evidence",
)
async def compliance_report(request: web.Request) -> web.Response:
    ask = await report_ask(request)
    svc, start, end, channel, done = ask.svc, ask.start, ask.end, ask.channel, ask.done
    report = await compliance(
        svc.ledger,
        start,
        end,
        svc.engine.clock.now(),
        svc.engine.protocol,
        await svc.store.latest_version(),
        channel,
    )
    # How far behind the writer was when the wait ended (0: the report counts everything asked for)
    report["filed_through"]["lag"] = done.lag
    return json_of(report)


@route("GET", "/healthz", roles=None, summary="The process is alive", tag="ops")
async def healthz(request: web.Request) -> web.Response:
    return json_of({"status": "ok"})


@route(
    "GET",
    "/readyz",
    roles=None,
    summary="The store is reachable (this instance can take contacts); how the ledger stands",
    tag="ops",
)
async def readyz(request: web.Request) -> web.Response:
    """503 only when the store cannot be reached. A ledger that is down or behind is reported in
    the body (`status`, `ledger`) with 200: routing never waits on it and the stream keeps every
    event until it is filed, so taking the instances out of service for it (a readiness probe
    answering 503) would turn an audit-ledger outage into nobody reaching the hotline. So is a
    clock off from the Redis server's (`clock_skewed`, `clock`): whose clock is wrong, this
    instance's or the server's, only the operator can tell, and 503 on every instance for a
    wrong server clock would be the same outage."""
    svc = services(request)
    if not await svc.store.ping():
        return json_of({"status": "store_unreachable"}, status=503)
    now = svc.engine.clock.now()
    found = await health(
        svc.store, svc.ledger, now, timedelta(seconds=svc.settings.ledger_stall_s), svc.started_at or now
    )
    ledger = {"cursor": found.cursor, "behind": found.behind, "stalled": found.stalled}
    body: dict[str, object] = {"ledger": ledger}
    skew = await check_clock(svc.store, svc.engine.clock, svc.engine.metrics)
    if skew is not None:
        body["clock"] = {"skew_s": skew, "max_s": MAX_SKEW_S}
    if not found.reachable:
        return json_of({"status": "ledger_unreachable", **body})
    if found.stalled:
        return json_of({"status": "ledger_writer_stalled", **body})
    if skew is not None and abs(skew) > MAX_SKEW_S:
        return json_of({"status": "clock_skewed", **body})
    return json_of({"status": "ready", **body})


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
