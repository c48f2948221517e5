"""The supervisor's board: who is on call and how they stand, escalations and breaches, pages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from router.api.views import iso
from router.models import Contact
from router.web.access import CONSOLE_SERVICE, ROLES, forbidden, principal, sees_all, unauthenticated
from router.web.feed import FEED

# Timeline events a supervisor must see as they happen.
ALERTS = frozenset({"escalated", "breached"})


def alerts(contacts: list[Contact]) -> list[dict[str, Any]]:
    """Escalations and breaches of the open contacts, newest first: what a supervisor can still act on."""
    found = [
        {
            "at": iso(entry.at),
            "event": entry.event,
            "contact_id": c.id,
            "channel": c.channel,
            "priority": c.priority.value,
            "status": c.status.value,
            "level": (entry.model_extra or {}).get("level"),
            "waited_s": (entry.model_extra or {}).get("waited_s"),
        }
        for c in contacts
        for entry in c.timeline
        if entry.event in ALERTS
    ]
    found.sort(key=lambda a: str(a["at"]), reverse=True)
    return found


async def board(request: web.Request) -> web.Response:
    """GET /console/board: the supervisor's live view beyond the queue (which is /v1/queue).

    Names, roles, presence and load only: no phone number or address of staff or person."""
    p = await principal(request)
    if p is None:
        return unauthenticated()
    svc = request.app[CONSOLE_SERVICE]
    if not await sees_all(svc, p):
        return forbidden("the board is for managers, admins and the supervisor on call")
    now = svc.engine.clock.now()
    who, version = await svc.engine.rosters.on_call(now)
    presence = await svc.store.presence()
    loads: dict[str, int] = {}
    for (rid, _channel), n in (await svc.store.loads()).items():
        loads[rid] = loads.get(rid, 0) + n
    staff = await svc.store.list_responders()
    states = await svc.engine.responder_states([r.id for r in staff])
    responders = []
    for r in staff:
        roles = [role for role in ROLES if r.id in who.role(role)]
        state = states[r.id]
        responders.append(
            {
                "id": r.id,
                "name": r.name,
                "presence": presence.get(r.id, "offline"),
                # Who is in wrap-up or on a break, and until when (by the server's clock, `at`).
                "wrap_up_until": iso(state.wrap_up_until),
                "break_until": iso(state.break_until),
                "on_call": roles,
                "load": loads.get(r.id, 0),
                "notify_via": r.notify_via,
            }
        )
    contacts = await svc.store.get_contacts(await svc.store.open_contacts())
    return web.json_response(
        {
            "at": iso(now),
            "roster_version": version,
            "oncall": {role: list(who.role(role)) for role in ROLES},
            "responders": responders,
            "alerts": alerts(contacts)[:50],
            "pages": request.app[FEED].pages_for(p, sees_all=True)[:50],
        },
        headers={"Cache-Control": "no-store"},
    )
