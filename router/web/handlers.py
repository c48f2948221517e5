"""The responder console's endpoints: the page, its assets, who-am-I, protocol, contacts, live feed."""

from __future__ import annotations

import asyncio
import json
from importlib import resources

from aiohttp import web

from router.api.audited import request_ctx
from router.api.auth import Principal, authenticate
from router.api.errors import error_response
from router.api.views import contact_view
from router.audit import audit_each
from router.models import Contact, ContactStatus
from router.service import Service
from router.transitions import queue_score
from router.web.feed import ConsoleFeed

FEED = web.AppKey("console_feed", ConsoleFeed)
CONSOLE_SERVICE = web.AppKey("console_service", Service)
ASSETS = web.AppKey("console_assets", dict[str, tuple[str, str]])
HEARTBEAT_S = 15.0
# The console shows crisis conversations: never cache, never frame, never leak the URL onwards.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}
_TYPES = {"html": "text/html", "js": "application/javascript", "css": "text/css"}


def _load(name: str) -> tuple[str, str]:
    text = resources.files("router.web").joinpath(name).read_text(encoding="utf-8")
    return text, _TYPES[name.rsplit(".", 1)[1]]


async def _principal(request: web.Request) -> Principal | None:
    svc = request.app[CONSOLE_SERVICE]
    return await authenticate(
        svc.store, svc.settings.admin_token, request.headers.get("Authorization"), svc.engine.clock.now()
    )


def _unauthenticated() -> web.Response:
    return error_response(401, "unauthenticated", "send Authorization: Bearer <token> with a valid token")


def _is_supervisor(p: Principal) -> bool:
    return p.role in ("admin", "manager")


async def asset(request: web.Request) -> web.Response:
    name = request.match_info.get("name", "console.html")
    found = request.app[ASSETS].get(name)
    if found is None:
        raise web.HTTPNotFound()
    text, content_type = found
    return web.Response(text=text, content_type=content_type, headers=PAGE_HEADERS)


async def whoami(request: web.Request) -> web.Response:
    p = await _principal(request)
    if p is None:
        return _unauthenticated()
    return web.json_response(
        {"role": p.role, "responder": p.responder, "supervisor": _is_supervisor(p)},
        headers={"Cache-Control": "no-store"},
    )


async def protocol(request: web.Request) -> web.Response:
    p = await _principal(request)
    if p is None:
        return _unauthenticated()
    proto = request.app[CONSOLE_SERVICE].engine.protocol
    return web.json_response(
        {
            "version": proto.version,
            "dispositions": list(proto.dispositions),
            # What closing with each disposition must record, so the form can ask for it.
            "requires": {d: list(proto.disposition_requirements(d)) for d in proto.dispositions},
            "response_target_s": proto.response_target.total_seconds(),
            "escalation_steps": len(proto.escalation),
        }
    )


async def contacts(request: web.Request) -> web.Response:
    """The caller's open contacts (supervisors: every one held by someone), with conversations."""
    p = await _principal(request)
    if p is None:
        return _unauthenticated()
    if p.role not in ("admin", "manager", "responder"):
        return error_response(403, "forbidden", f"the {p.role} role holds no contacts")
    store = request.app[CONSOLE_SERVICE].store
    held = (ContactStatus.assigned, ContactStatus.answered)
    found: list[Contact] = [
        c
        for c in await store.get_contacts(await store.open_contacts())
        if c.status in held and (_is_supervisor(p) or c.responder == p.responder)
    ]
    found.sort(key=queue_score)
    svc = request.app[CONSOLE_SERVICE]
    await audit_each(request_ctx(request, svc, p), "console.conversations", [c.id for c in found])
    return web.json_response([contact_view(c) for c in found], dumps=lambda o: json.dumps(o, default=str))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events over a fetch stream (EventSource cannot send an Authorization header)."""
    p = await _principal(request)
    if p is None:
        return _unauthenticated()
    feed = request.app[FEED]
    sub = feed.subscribe(p)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    try:
        await response.prepare(request)
        await response.write(b"event: ready\ndata: {}\n\n")
        while True:
            try:
                notice = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")  # proxies drop silent streams
                continue
            if notice is None:
                break
            await response.write(f"data: {json.dumps(notice)}\n\n".encode())
    except ConnectionResetError:
        pass  # the console went away (tab closed, network lost): it resubscribes when it is back
    finally:
        feed.unsubscribe(sub)
    return response


def add_routes(app: web.Application, service: Service, feed: ConsoleFeed) -> None:
    app[FEED] = feed
    app[CONSOLE_SERVICE] = service
    app[ASSETS] = {name: _load(name) for name in ("console.html", "console.js", "console.css")}
    app.router.add_get("/console", asset)
    app.router.add_get("/console/assets/{name}", asset)
    app.router.add_get("/console/whoami", whoami)
    app.router.add_get("/console/protocol", protocol)
    app.router.add_get("/console/contacts", contacts)
    app.router.add_get("/console/events", events)
