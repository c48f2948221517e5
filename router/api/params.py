"""Query and body parameters that need more than pydantic: times with offsets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from aiohttp import web

from router.api.errors import ApiError

_NAME = re.compile(r"^[\w .-]{1,128}$")
# A roster window (check, publish) spans at most this: longer ones would only make work.
MAX_WINDOW = timedelta(days=400)


def parse_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            422,
            "invalid_time",
            f"{name}: {value!r} is not an ISO 8601 time",
            [{"loc": ["query", name], "msg": "not an ISO 8601 time"}],
        ) from exc
    if parsed.tzinfo is None:
        raise ApiError(
            422,
            "invalid_time",
            f"{name}: give the time with its offset, e.g. 2026-03-08T09:00:00-05:00",
            [{"loc": ["query", name], "msg": "missing offset"}],
        )
    return parsed


def query_time(request: web.Request, name: str, default: datetime | None = None) -> datetime:
    value = request.query.get(name)
    if value is None:
        if default is None:
            raise ApiError(
                422, "missing_parameter", f"{name} is required", [{"loc": ["query", name], "msg": "required"}]
            )
        return default
    return parse_time(value, name)


def window(start: datetime, end: datetime, longest: timedelta | None = None) -> None:
    if end <= start:
        raise ApiError(
            422, "invalid_window", "`to` must be after `from`", [{"loc": ["to"], "msg": "must be after from"}]
        )
    if longest is not None and end - start > longest:
        raise ApiError(
            422,
            "window_too_long",
            f"the window from `from` to `to` is longer than {longest.days} days: use a shorter one",
            [{"loc": ["to"], "msg": f"at most {longest.days} days after from"}],
        )


def roster_name(request: web.Request) -> str:
    """The {name} in a roster path: 1-128 letters, digits, spaces, '-', '_' or '.'."""
    name = request.match_info["name"]
    if not _NAME.match(name):
        raise ApiError(
            422,
            "invalid_name",
            "a roster name is 1-128 letters, digits, spaces, '-', '_' or '.'",
            [{"loc": ["path", "name"], "msg": "invalid roster name"}],
        )
    return name
