"""What every manager's report request begins with: a manager, a valid window and channel, and
the wait for the ledger writer (reports read, never write: router/ledger/reach.py); and the
paging parameters of the lists a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from router.api.context import services
from router.api.errors import ApiError
from router.api.params import query_time, window
from router.api.routing import require
from router.ledger.paging import DEFAULT_LIMIT, MAX_LIMIT
from router.ledger.reach import Filed, filed
from router.service import Service

CHANNELS = ("voice", "sms", "chat", "email")


def span(request: web.Request, svc: Service) -> tuple[datetime, datetime]:
    now = svc.engine.clock.now()
    end = query_time(request, "to", now)
    start = query_time(request, "from", end - timedelta(days=7))
    window(start, end)
    return start, end


def channel_of(request: web.Request) -> str | None:
    channel = request.query.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise ApiError(
            422,
            "invalid_channel",
            f"channel: {channel!r} is not one of {', '.join(CHANNELS)}",
            [{"loc": ["query", "channel"], "msg": "unknown channel"}],
        )
    return channel


async def fresh(svc: Service) -> Filed:
    """Reports read the ledger, never write it: wait (at most a few seconds) for the writer to
    file the stream as it stands now, so a report made right after a contact counts it."""
    return await filed(svc.writer)


@dataclass(frozen=True)
class Ask:
    """A manager's report request, checked: the window and channel asked, and how far the
    ledger was filed when the wait for the writer ended."""

    svc: Service
    start: datetime
    end: datetime
    channel: str | None
    done: Filed


async def report_ask(request: web.Request) -> Ask:
    """Every report begins alike: a manager, a valid window and channel, then the writer's wait."""
    require(request, "manager")
    svc = services(request)
    start, end = span(request, svc)
    channel = channel_of(request)
    return Ask(svc, start, end, channel, await fresh(svc))


def paging(request: web.Request) -> tuple[int, str | None]:
    raw = request.query.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(
            422,
            "invalid_limit",
            f"limit: {raw!r} is not a whole number from 1 to {MAX_LIMIT}",
            [{"loc": ["query", "limit"], "msg": f"1..{MAX_LIMIT}"}],
        )
    return int(raw), request.query.get("after") or None


def bad_cursor() -> ApiError:
    return ApiError(
        422,
        "invalid_cursor",
        "after: not a cursor from this list's `next`",
        [{"loc": ["query", "after"], "msg": "unknown cursor"}],
    )


WINDOW_QUERY = {
    "from": "window start (default 7 days ago)",
    "to": "window end (default now)",
    "channel": "only this channel (voice, sms, chat, email)",
}
PAGE_QUERY = {
    **WINDOW_QUERY,
    "limit": f"at most this many items (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    "after": "the `next` cursor of the previous page",
}
