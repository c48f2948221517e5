"""The responder console's endpoints: the page, its assets, who-am-I, protocol, contacts, live feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from importlib import resources

from aiohttp import web

from protocols import DispositionRule, Priority
from router.api.audited import request_ctx
from router.api.errors import error_response
from router.api.views import contact_view
from router.audit import audit_each
from router.models import Contact, ContactStatus
from router.service import Service
from router.transitions import queue_score
from router.web import board
from router.web.access import CONSOLE_SERVICE, on_call_roles, principal, sees_all, unauthenticated
from router.web.feed import FEED, ConsoleFeed

ASSETS = web.AppKey("console_assets", dict[str, tuple[str, str]])
# The page and its scripts, each small and with one job; console.html loads them in this order.
FILES = (
    "console.html",
    "console.css",
    "console.js",
    "console-offers.js",
    "console-close.js",
    "console-tools.js",
    "console-supervisor.js",
)
HEARTBEAT_S = 15.0
# How often an open stream asks again whether its reader is the supervisor on call (shifts change).
RECHECK_S = 15.0
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


def _label(rules: Mapping[str, DispositionRule], disposition: str) -> str:
    """The protocol's label, else the id in words ("support_given" -> "Support given")."""
    rule = rules.get(disposition)
    if rule is not None and rule.label:
        return rule.label
    return disposition.replace("_", " ").replace("-", " ").capitalize()


def _load(name: str) -> tuple[str, str]:
    text = resources.files("router.web").joinpath(name).read_text(encoding="utf-8")
    return text, _TYPES[name.rsplit(".", 1)[1]]


async def asset(request: web.Request) -> web.Response:
    name = request.match_info.get("name", "console.html")
    found = request.app[ASSETS].get(name)
    if found is None:
        raise web.HTTPNotFound()
    text, content_type = found
    return web.Response(text=text, content_type=content_type, headers=PAGE_HEADERS)


async def whoami(request: web.Request) -> web.Response:
    p = await principal(request)
    if p is None:
        return unauthenticated()
    svc = request.app[CONSOLE_SERVICE]
    roles = await on_call_roles(svc, p.responder)
    state: dict[str, str | None] = {"presence": None, "wrap_up_until": None, "break_until": None}
    if p.responder:
        state = (await svc.engine.responder_states([p.responder]))[p.responder].view()
    return web.json_response(
        {
            "role": p.role,
            "responder": p.responder,
            "supervisor": await sees_all(svc, p),
            "on_call": roles,
            "presence": state["presence"] or ("offline" if p.responder else None),
            # A wrap-up or break in progress, counted down against the server's clock (`at`).
            "wrap_up_until": state["wrap_up_until"],
            "break_until": state["break_until"],
            "at": svc.engine.clock.now().isoformat(),
        },
        headers={"Cache-Control": "no-store"},
    )


async def protocol(request: web.Request) -> web.Response:
    p = await principal(request)
    if p is None:
        return unauthenticated()
    engine = request.app[CONSOLE_SERVICE].engine
    proto = engine.protocol
    local = proto.local(engine.clock.now())
    reporting = proto.mandated_reporting
    rules = proto.disposition_rules
    return web.json_response(
        {
            "version": proto.version,
            "dispositions": list(proto.dispositions),
            # What a person reads in the form; the id is what is recorded.
            "labels": {d: _label(rules, d) for d in proto.dispositions},
            # What closing with each disposition must record, so the form can ask for it.
            "requires": {d: list(proto.disposition_requirements(d)) for d in proto.dispositions},
            # Standard 30: the checklist a flagged contact's close must carry, asked in the
            # protocol's own words, and the agencies a report goes to for each flag.
            "mandated_report": {
                "when_flags": list(reporting.when_flags),
                "checklist": [i.model_dump() for i in reporting.checklist],
                "agencies": [{"name": a.name, "for_flags": list(a.for_flags)} for a in reporting.agencies],
            },
            # The partner directory a referral is chosen from (the API accepts only these ids).
            "partners": [
                {
                    "id": partner.id,
                    "name": partner.name,
                    "services": list(partner.services),
                    "languages": list(partner.languages),
                    "open_now": partner.is_open(local),
                }
                for partner in proto.partners
            ],
            # Flags a responder may add during a contact, and the priorities to raise to.
            "flags": [
                {"id": f, "label": spec.label or f.replace("_", " ").capitalize(), "means": spec.means}
                for f, spec in proto.flags.items()
            ],
            "priorities": [level.value for level in sorted(Priority, key=lambda level: level.rank)],
            "response_target_s": proto.response_target.total_seconds(),
            "escalation_steps": len(proto.escalation),
        }
    )


async def contacts(request: web.Request) -> web.Response:
    """The caller's open contacts (supervisors: every one held by someone), with conversations."""
    p = await principal(request)
    if p is None:
        return unauthenticated()
    if p.role not in ("admin", "manager", "responder"):
        return error_response(403, "forbidden", f"the {p.role} role holds no contacts")
    svc = request.app[CONSOLE_SERVICE]
    store = svc.store
    held = (ContactStatus.assigned, ContactStatus.answered)
    everyone = await sees_all(svc, p)
    found: list[Contact] = [
        c
        for c in await store.get_contacts(await store.open_contacts())
        if c.status in held and (everyone or c.responder == p.responder)
    ]
    found.sort(key=queue_score)
    await audit_each(request_ctx(request, svc, p), "console.conversations", [c.id for c in found])
    return web.json_response([contact_view(c) for c in found], dumps=lambda o: json.dumps(o, default=str))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events over a fetch stream (EventSource cannot send an Authorization header)."""
    p = await principal(request)
    if p is None:
        return unauthenticated()
    svc = request.app[CONSOLE_SERVICE]
    feed = request.app[FEED]
    sub = feed.subscribe(p, await sees_all(svc, p))
    loop = asyncio.get_running_loop()
    checked = loop.time()
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
                sub.sees_all, checked = await sees_all(svc, p), loop.time()
                continue
            if notice is None:
                break
            await response.write(f"data: {json.dumps(notice)}\n\n".encode())
            if loop.time() - checked > RECHECK_S:
                sub.sees_all, checked = await sees_all(svc, p), loop.time()
    except ConnectionResetError:
        pass  # the console went away (tab closed, network lost): it resubscribes when it is back
    finally:
        feed.unsubscribe(sub)
    return response


def add_routes(app: web.Application, service: Service, feed: ConsoleFeed) -> None:
    app[FEED] = feed
    app[CONSOLE_SERVICE] = service
    app[ASSETS] = {name: _load(name) for name in FILES}
    app.router.add_get("/console", asset)
    app.router.add_get("/console/assets/{name}", asset)
    app.router.add_get("/console/whoami", whoami)
    app.router.add_get("/console/protocol", protocol)
    app.router.add_get("/console/contacts", contacts)
    app.router.add_get("/console/events", events)
    app.router.add_get("/console/board", board.board)
