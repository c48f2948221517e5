"""The scheduler's page: a week of the roster (who is primary, backup, supervisor; gaps in red) with coverage.

Auth: /schedule itself is a public shell with no data in it. Its small script keeps the bearer
token in sessionStorage (as the console does) and fetches /schedule/week, which checks the token
and answers with the week rendered on the server as an HTML fragment. So the week is
server-rendered (one renderer, escaped in Python, testable without a browser) while the token
never travels in a URL (history, logs, Referer) or a cookie (no CSRF surface, no ambient
credential for other tabs).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from zoneinfo import ZoneInfo

from aiohttp import web

from router.api.auth import Principal, authenticate
from router.api.calendar import newest_version
from router.api.errors import error_response
from router.service import Service
from router.web.handlers import PAGE_HEADERS
from router.web.schedule_render import week_html
from router.web.schedule_week import Source, Week, build_week, monday_of, week_window

SCHEDULE_SERVICE = web.AppKey("schedule_service", Service)
SCHEDULE_ASSETS = web.AppKey("schedule_assets", dict[str, tuple[str, str]])
ASSET_NAMES = ("schedule.html", "schedule.js", "schedule.css")
ROLES_ALLOWED = ("scheduler", "manager", "admin")
_TYPES = {"html": "text/html", "js": "application/javascript", "css": "text/css"}


class PageError(Exception):
    """An answer in the API's one error shape, raised from deep in a handler."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _load(name: str) -> tuple[str, str]:
    text = resources.files("router.web").joinpath(name).read_text(encoding="utf-8")
    return text, _TYPES[name.rsplit(".", 1)[1]]


async def asset(request: web.Request) -> web.Response:
    found = request.app[SCHEDULE_ASSETS].get(request.match_info.get("name", "schedule.html"))
    if found is None:
        raise web.HTTPNotFound()
    text, content_type = found
    return web.Response(text=text, content_type=content_type, headers=PAGE_HEADERS)


async def _scheduler(request: web.Request, svc: Service) -> Principal:
    p = await authenticate(
        svc.store, svc.settings.admin_token, request.headers.get("Authorization"), svc.engine.clock.now()
    )
    if p is None:
        raise PageError(401, "unauthenticated", "send Authorization: Bearer <token> with a valid token")
    if p.role not in ROLES_ALLOWED:
        raise PageError(403, "forbidden", f"the {p.role} role may not see the roster's week")
    return p


def _week_param(value: str | None, today: date) -> date:
    if not value:
        return monday_of(today)
    try:
        return monday_of(date.fromisoformat(value))
    except ValueError as exc:
        raise PageError(422, "invalid_week", f"week {value!r} is not a date like 2026-03-02") from exc


async def load_week(svc: Service, roster: str | None, source: Source, week: str | None) -> Week:
    """The week asked for, from the newest published version or the draft, with responder profiles."""
    now = svc.engine.clock.now()
    version_no: int | None = None
    if source == "draft":
        if not roster:
            raise PageError(422, "missing_parameter", "name the roster whose draft to show: ?roster=NAME")
        draft = await svc.store.get_draft(roster)
        if draft is None:
            raise PageError(404, "not_found", f"no draft roster named {roster!r}")
        timezone = draft.timezone
        monday = _week_param(week, now.astimezone(draft.zone).date())
        try:
            shifts = draft.expand(*week_window(monday, timezone))
        except ValueError as exc:
            raise PageError(422, "invalid", f"the draft cannot be expanded: {exc}") from exc
    else:
        latest = await svc.store.latest_version()
        name = roster or (latest.name if latest else None)
        version = await newest_version(svc.store, name) if name else None
        if version is None or name is None:
            raise PageError(404, "not_found", "nothing is published yet: publish a roster, or view a draft")
        roster, timezone, version_no = name, version.timezone, version.version
        monday = _week_param(week, now.astimezone(ZoneInfo(timezone)).date())
        shifts = list(version.shifts)
    profiles = await svc.engine.rosters.profiles()
    return build_week(
        shifts,
        roster=roster,
        source=source,
        version=version_no,
        timezone=timezone,
        monday=monday,
        profiles=profiles,
    )


async def week(request: web.Request) -> web.Response:
    svc = request.app[SCHEDULE_SERVICE]
    try:
        await _scheduler(request, svc)
        given = request.query.get("source", "published")
        if given not in ("published", "draft"):
            raise PageError(422, "invalid_source", "source is published or draft")
        source: Source = "draft" if given == "draft" else "published"
        found = await load_week(svc, request.query.get("roster") or None, source, request.query.get("week"))
    except PageError as exc:
        return error_response(exc.status, exc.code, exc.message)
    today = svc.engine.clock.now().astimezone(found.zone).date()
    return web.Response(text=week_html(found, today), content_type="text/html", headers=PAGE_HEADERS)


def install(app: web.Application, service: Service) -> None:
    """Serve /schedule, its assets and the week fragment (add next to the console's install)."""
    app[SCHEDULE_SERVICE] = service
    app[SCHEDULE_ASSETS] = {name: _load(name) for name in ASSET_NAMES}
    app.router.add_get("/schedule", asset)
    app.router.add_get("/schedule/assets/{name}", asset)
    app.router.add_get("/schedule/week", week)
