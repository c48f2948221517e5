"""The manager's page: /reports, its assets (Chart.js vendored, never a CDN) and the period it reports on.

Auth as in the console: /reports is a public shell with no data in it; reports.js keeps the
bearer token in sessionStorage and calls the JSON API (/v1/reports/compliance, /v1/reports/contacts,
/v1/reports/compliance.csv) with it, so the token never travels in a URL or a cookie. The one
page-only endpoint, /reports/period, turns a period (last 7 days, this month, last quarter, custom
dates) into instants in the hotline's own time zone at the service's clock, so the browser's zone
and clock never decide what an auditor's window is.
"""

from __future__ import annotations

from importlib import resources
from typing import get_args

from aiohttp import web

from protocols import Channel
from router.api.auth import authenticate
from router.api.errors import error_response
from router.service import Service
from router.web.handlers import PAGE_HEADERS
from router.web.report_periods import PeriodError, window_of

REPORTS_SERVICE = web.AppKey("reports_service", Service)
REPORTS_ASSETS = web.AppKey("reports_assets", dict[str, tuple[bytes, str]])
ASSET_NAMES = ("reports.html", "reports.js", "reports-parts.js", "reports-charts.js", "reports.css")
VENDOR_NAMES = ("chart.umd.js", "chart.js.LICENSE.md")
ROLES_ALLOWED = ("manager", "admin")
_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "application/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "md": "text/plain; charset=utf-8",
}
# The vendored library never changes under one name within a release; the page's own files may.
_VENDOR_HEADERS = {**PAGE_HEADERS, "Cache-Control": "public, max-age=86400"}


def _load(path: str) -> tuple[bytes, str]:
    data = resources.files("router.web").joinpath(path).read_bytes()
    return data, _TYPES[path.rsplit(".", 1)[1]]


def _asset(name: str, request: web.Request, headers: dict[str, str]) -> web.Response:
    found = request.app[REPORTS_ASSETS].get(name)
    if found is None:
        raise web.HTTPNotFound()
    body, content_type = found
    return web.Response(body=body, headers={**headers, "Content-Type": content_type})


async def page(request: web.Request) -> web.Response:
    return _asset(request.match_info.get("name", "reports.html"), request, PAGE_HEADERS)


async def vendor(request: web.Request) -> web.Response:
    return _asset("vendor/" + request.match_info["name"], request, _VENDOR_HEADERS)


async def period(request: web.Request) -> web.Response:
    """`?period=last_7_days|this_month|last_quarter|custom[&from=YYYY-MM-DD&to=YYYY-MM-DD]` →
    the window as instants with offsets, its label, the hotline's zone and the response target."""
    svc = request.app[REPORTS_SERVICE]
    now = svc.engine.clock.now()
    who = await authenticate(svc.store, svc.settings.admin_token, request.headers.get("Authorization"), now)
    if who is None:
        return error_response(401, "unauthenticated", "send Authorization: Bearer <token> with a valid token")
    if who.role not in ROLES_ALLOWED:
        return error_response(403, "forbidden", f"the {who.role} role may not see compliance reports")
    protocol = svc.engine.protocol
    q = request.query
    try:
        found = window_of(q.get("period", "last_7_days"), now, protocol.zone, q.get("from"), q.get("to"))
    except PeriodError as exc:
        return error_response(
            422, "invalid_period", exc.message, [{"loc": ["query", exc.field], "msg": exc.message}]
        )
    body = {
        "role": who.role,
        "person": who.person,
        "period": found.period,
        "label": found.label,
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "first_day": found.first_day.isoformat(),
        "last_day": found.last_day.isoformat(),
        "days": [{"date": d.isoformat(), "start": at.isoformat()} for d, at in found.days(protocol.zone)],
        "timezone": protocol.timezone,
        "now": now.isoformat(),
        "target_s": protocol.response_target.total_seconds(),
        "channels": list(get_args(Channel)),
    }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def install(app: web.Application, service: Service) -> None:
    """Serve /reports, its assets and /reports/period (add next to the console's install)."""
    app[REPORTS_SERVICE] = service
    assets = {name: _load(name) for name in ASSET_NAMES}
    assets.update({f"vendor/{name}": _load(f"vendor/{name}") for name in VENDOR_NAMES})
    app[REPORTS_ASSETS] = assets
    app.router.add_get("/reports", page)
    app.router.add_get("/reports/assets/{name}", page)
    app.router.add_get("/reports/vendor/{name}", vendor)
    app.router.add_get("/reports/period", period)
