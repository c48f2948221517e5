"""The access log: one line per request with the route's template (never the raw path: a feed
URL's path is its secret), the status and the duration."""

from __future__ import annotations

import time

import structlog
from aiohttp import web

from router.api.routing import Handler

log = structlog.get_logger("router.access")
UNMATCHED = "(unmatched)"


def route_template(request: web.Request) -> str:
    """`/feeds/{secret}.ics`, `/v1/contacts/{id}`: the pattern the request matched."""
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    canonical = getattr(resource, "canonical", None)
    return canonical if isinstance(canonical, str) and canonical else UNMATCHED


@web.middleware
async def access_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        log.info(
            "access",
            method=request.method,
            route=route_template(request),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
