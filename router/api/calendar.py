"""Roster calendars: iCalendar feeds, secret revocable feed URLs, shift imports into a draft, CSV export."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from router.api.auth import authenticate, hash_token
from router.api.context import services
from router.api.errors import ApiError, error_response, parse_body
from router.api.params import query_time, roster_name, window
from router.api.routing import PRINCIPAL, Handler, json_of, require, route
from router.api.views import coverage_view, iso, report_view
from router.errors import RouterError
from router.models import FeedRecord
from router.store import Store, StoreUnavailable
from schedules import (
    CsvImportError,
    ICalImportError,
    Roster,
    RosterVersion,
    Shift,
    from_ical,
    read_csv,
    to_ical,
    version_to_ical,
    write_csv,
)

log = structlog.get_logger("router.calendar")

# A feed is a roster's whole timeline (or one person's part of it): no cache may keep a copy
# after the feed is revoked, and a link followed from a calendar must not leak the secret URL.
FEED_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}
# secrets.token_urlsafe(32) gives 43 such characters; anything else is not worth a store lookup.
SECRET = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_EVENT_ERROR = re.compile(r"^event (\d+) ")
Format = Literal["csv", "ics"]
_FORMATS: dict[str, Format] = {"text/csv": "csv", "text/calendar": "ics"}


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responder: str | None = Field(default=None, min_length=1, max_length=128)
    label: str | None = Field(default=None, max_length=200)


def feed_id(secret_hash: str) -> str:
    """A short name for a feed that is safe to show and log: it cannot be turned back into the URL."""
    return secret_hash[:12]


async def newest_version(store: Store, name: str) -> RosterVersion | None:
    """The newest published version of roster `name`.

    Version numbers are shared by every roster name, so when another roster was published
    since, walk back; the usual single-roster hotline stops at the first read.
    """
    latest = await store.latest_version()
    if latest is None or latest.name == name:
        return latest
    for number in range(latest.version - 1, 0, -1):
        found = await store.get_version(number)
        if found is not None and found.name == name:
            return found
    return None


async def published(store: Store, name: str) -> RosterVersion:
    version = await newest_version(store, name)
    if version is None:
        raise ApiError(
            404,
            "not_found",
            f"roster {name!r} has no published version: publish it first (POST /v1/rosters/{name}/publish)",
        )
    return version


def _mine(shifts: tuple[Shift, ...], responder: str | None) -> list[Shift]:
    return [s for s in shifts if responder is None or s.responder == responder]


def _filename(name: str, suffix: str) -> str:
    # The roster name comes from a URL: keep only characters that are safe in a header.
    return (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "roster") + suffix


def _calendar(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/calendar", charset="utf-8", headers=FEED_HEADERS
    )


@route(
    "GET",
    "/v1/rosters/{name}/calendar.ics",
    roles=("responder", "scheduler", "manager"),
    query={"responder": "only this responder's shifts (a responder may fetch only their own)"},
    summary="iCalendar of the newest published version of the roster",
)
async def calendar(request: web.Request) -> web.Response:
    who = request.query.get("responder") or None
    require(request, "scheduler", "manager", responder=who)
    version = await published(services(request).store, roster_name(request))
    return _calendar(version_to_ical(version, who))


@route(
    "GET",
    "/v1/rosters/{name}/shifts.csv",
    roles=("responder", "scheduler", "manager"),
    query={"responder": "only this responder's shifts (a responder may fetch only their own)"},
    summary="CSV (responder,role,start,end) of the newest published version, times in the roster's zone",
)
async def shifts_csv(request: web.Request) -> web.Response:
    who = request.query.get("responder") or None
    require(request, "scheduler", "manager", responder=who)
    name = roster_name(request)
    version = await published(services(request).store, name)
    text = write_csv(_mine(version.shifts, who), timezone=version.timezone)
    disposition = f'attachment; filename="{_filename(name, f"-v{version.version}.csv")}"'
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={**FEED_HEADERS, "Content-Disposition": disposition},
    )


# -- secret feed URLs ---------------------------------------------------------------------


@route(
    "POST",
    "/v1/rosters/{name}/feeds",
    roles=("responder", "scheduler"),
    body=FeedIn,
    summary="A secret, revocable calendar URL (whole roster or one responder) to subscribe to from a phone",
)
async def create_feed(request: web.Request) -> web.Response:
    name = roster_name(request)
    # An empty body asks for the whole roster's feed.
    body = await parse_body(request, FeedIn) if (await request.read()).strip() else FeedIn()
    require(request, "scheduler", responder=body.responder)
    svc = services(request)
    if await svc.store.get_draft(name) is None and await newest_version(svc.store, name) is None:
        raise ApiError(404, "not_found", f"no roster named {name!r}: PUT /v1/rosters/{name} first")
    if body.responder is not None and await svc.store.get_responder(body.responder) is None:
        raise ApiError(
            404,
            "not_found",
            f"no responder {body.responder!r}: PUT /v1/responders/{body.responder} first",
            [{"loc": ["responder"], "msg": "unknown responder"}],
        )
    secret = secrets.token_urlsafe(32)
    secret_hash = hash_token(secret)
    now = svc.engine.clock.now()
    await svc.store.put_feed(
        secret_hash, FeedRecord(roster=name, responder=body.responder, created_at=now, label=body.label)
    )
    # Only the short id is logged: the secret is the credential, and its hash finds the feed.
    log.info("feed_created", roster=name, feed=feed_id(secret_hash), per_responder=body.responder is not None)
    base = (svc.settings.public_url or f"{request.scheme}://{request.host}").rstrip("/")
    return json_of(
        {
            "url": f"{base}/feeds/{secret}.ics",
            "id": feed_id(secret_hash),
            "roster": name,
            "responder": body.responder,
            "label": body.label,
            "created_at": iso(now),
        },
        status=201,
    )


def secret_path(fn: Handler) -> Handler:
    """Answer every error of `fn` here: the app's middleware logs the request path, and this
    path holds a feed secret, the credential itself."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except RouterError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.details)
        except StoreUnavailable:
            log.error("store_unavailable", path=f"{request.method} <feed secret>")
            return error_response(503, "store_unavailable", "the store cannot be reached; try again shortly")
        except Exception as exc:
            log.error("feed_failed", method=request.method, error=type(exc).__name__)
            return error_response(500, "internal", "internal error; try again later")

    return handle


@route(
    "DELETE",
    "/v1/feeds/{secret}",
    # Authenticated inside the handler, so that no error on the way is logged with the path.
    roles=None,
    summary="Revoke a feed URL (bearer token: scheduler, admin, or the responder whose feed it is); "
    "give the secret from the URL, with or without .ics",
)
@secret_path
async def revoke_feed(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    who = await authenticate(
        svc.store, svc.settings.admin_token, request.headers.get("Authorization"), svc.engine.clock.now()
    )
    if who is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token> with a valid token")
    request[PRINCIPAL] = who
    secret_hash = hash_token(request.match_info["secret"].removesuffix(".ics"))
    if who.role not in ("scheduler", "admin"):
        # A responder may revoke a feed of their own shifts (a lost phone), nobody else's.
        record = await svc.store.get_feed(secret_hash)
        require(request, "scheduler", responder=record.responder if record else None)
    if not await svc.store.delete_feed(secret_hash):
        raise ApiError(404, "not_found", "no such feed: it was revoked already, or the URL is mistyped")
    log.info("feed_revoked", feed=feed_id(secret_hash))
    return web.Response(status=204)


@route(
    "GET",
    "/feeds/{secret}.ics",
    roles=None,
    tag="feeds",
    summary="A subscribed calendar feed: the secret in the URL is the credential",
)
@secret_path
async def public_feed(request: web.Request) -> web.StreamResponse:
    secret = request.match_info["secret"]
    store = services(request).store
    record = await store.get_feed(hash_token(secret)) if SECRET.match(secret) else None
    if record is None:
        raise ApiError(
            404, "not_found", "no such calendar feed: it may have been revoked; ask for a new link"
        )
    version = await newest_version(store, record.roster)
    if version is None:
        # Nothing published yet: an empty calendar keeps the subscription alive until there is.
        stamp = record.created_at or services(request).engine.clock.now()
        return _calendar(to_ical([], stamp=stamp, name=record.roster, responder=record.responder))
    return _calendar(version_to_ical(version, record.responder))


# -- imports ------------------------------------------------------------------------------


def _format(request: web.Request) -> Format:
    given = request.query.get("format")
    if given is not None:
        if given not in ("csv", "ics"):
            raise ApiError(
                422,
                "invalid_format",
                f"format {given!r} is not csv or ics",
                [{"loc": ["query", "format"], "msg": "expected csv or ics"}],
            )
        return "csv" if given == "csv" else "ics"
    found = _FORMATS.get(request.content_type)
    if found is None:
        raise ApiError(
            422,
            "invalid_format",
            "say what the file is: ?format=csv or ?format=ics (or Content-Type text/csv or text/calendar)",
            [{"loc": ["query", "format"], "msg": "required"}],
        )
    return found


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiError(
            422,
            "invalid_timezone",
            f"unknown time zone {name!r}: use an IANA name like America/New_York",
            [{"loc": ["query", "timezone"], "msg": "unknown time zone"}],
        ) from exc
    return name


def _event_lines(text: str) -> list[int]:
    """Line numbers of each BEGIN:VEVENT, so an event error can name the line it starts on."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().upper() == "BEGIN:VEVENT"]


def _ics_details(text: str, errors: list[str]) -> list[dict[str, Any]]:
    starts = _event_lines(text)
    details: list[dict[str, Any]] = []
    for message in errors:
        found = _EVENT_ERROR.match(message)
        index = int(found.group(1)) if found else 0
        line = starts[index - 1] if 0 < index <= len(starts) else None
        details.append({"line": line, "event": index or None, "msg": message})
    return details


def _refuse(details: list[dict[str, Any]]) -> ApiError:
    first = "; ".join((f"line {d['line']}: " if d["line"] else "") + str(d["msg"]) for d in details[:3])
    more = f" and {len(details) - 3} more" if len(details) > 3 else ""
    return ApiError(
        422,
        "import_failed",
        f"{len(details)} bad row(s), nothing was imported: {first}{more}",
        details,
    )


def parse_file(fmt: Format, text: str, timezone: str) -> list[Shift]:
    """Every shift of the file, or an ApiError naming every bad line: all or nothing."""
    try:
        if fmt == "csv":
            return read_csv(text, timezone=timezone)
        return from_ical(text, timezone=timezone)
    except CsvImportError as exc:
        raise _refuse([{"line": e.line or None, "msg": e.message} for e in exc.errors]) from exc
    except ICalImportError as exc:
        raise _refuse(_ics_details(text, exc.errors)) from exc


@route(
    "POST",
    "/v1/rosters/{name}/import",
    roles=("scheduler",),
    query={
        "format": "csv or ics (default: from Content-Type text/csv or text/calendar)",
        "timezone": "zone of times written without an offset (default: the draft's, else UTC)",
        "from": "coverage window start (default: the first imported shift)",
        "to": "coverage window end (default: the end of the last imported shift)",
    },
    summary="Add the shifts of a CSV or iCalendar file (the raw body) to the draft; all or nothing",
)
async def import_shifts(request: web.Request) -> web.Response:
    require(request, "scheduler")
    name = roster_name(request)
    fmt = _format(request)
    try:
        text = (await request.read()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_encoding", "the file is not UTF-8 text: save it as UTF-8") from exc
    svc = services(request)
    draft = await svc.store.get_draft(name)
    timezone = _zone(request.query.get("timezone") or (draft.timezone if draft else "UTC"))
    shifts = parse_file(fmt, text, timezone)
    if not shifts:
        raise ApiError(422, "empty_import", "the file holds no shifts; nothing was imported")
    base = draft or Roster(timezone=timezone)
    # Importing the same file twice must not double-book anyone: identical shifts are kept once.
    known = {s.key() for s in base.shifts}
    fresh: list[Shift] = []
    for shift in shifts:
        if shift.key() not in known:
            known.add(shift.key())
            fresh.append(shift)
    roster = base.model_copy(update={"shifts": [*base.shifts, *fresh]})
    start = query_time(request, "from", min(s.start for s in shifts))
    end = query_time(request, "to", max(s.end for s in shifts))
    window(start, end)
    if end - start > timedelta(days=400):
        raise ApiError(
            422,
            "invalid_window",
            "the coverage window is longer than 400 days: pass from and to",
            [{"loc": ["query", "to"], "msg": "window too long"}],
        )
    # put_draft checks before it stores, so a draft that fails the check is left as it was.
    coverage, report = await svc.engine.rosters.put_draft(name, roster, start, end)
    log.info(
        "shifts_imported", roster=name, format=fmt, imported=len(fresh), duplicates=len(shifts) - len(fresh)
    )
    return json_of(
        {
            "name": name,
            "draft": True,
            "created": draft is None,
            "imported": len(fresh),
            "duplicates": len(shifts) - len(fresh),
            "coverage": coverage_view(coverage),
            "report": report_view(report, roster.timezone),
        }
    )
