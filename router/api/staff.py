"""Staff tools: breaks, responder state, supervisor reassign, the partner directory, feedback counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from protocols import Partner
from router import feedback
from router.api.auth import Principal
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.params import query_time, window
from router.api.responders import STAFF, responder_id
from router.api.routing import json_of, principal, require, route
from router.api.views import contact_view


class BreakIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: float | None = Field(default=None, gt=0, le=240)


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    responder: str = Field(min_length=1, max_length=128)


@route(
    "POST",
    "/v1/responders/{id}/break",
    roles=(*STAFF, "responder"),
    body=BreakIn,
    summary="A break: no offers until it ends (default: the protocol's debrief break)",
)
async def take_break(request: web.Request) -> web.Response:
    rid = responder_id(request)
    require(request, *STAFF, responder=rid)
    body = await parse_body(request, BreakIn)
    engine = services(request).engine
    until = await engine.take_break(rid, body.minutes)
    return json_of({"id": rid, "presence": "away", "break_until": until.isoformat()})


@route(
    "GET",
    "/v1/responders/{id}/state",
    roles=(*STAFF, "responder"),
    summary="Presence, wrap-up and break of one responder",
)
async def responder_state(request: web.Request) -> web.Response:
    rid = responder_id(request)
    require(request, *STAFF, responder=rid)
    state = await services(request).engine.responder_state(rid)
    return json_of({"id": rid, **state.view()})


async def _may_reassign(request: web.Request, who: Principal) -> None:
    """Managers, admins, and whoever is the supervisor on call right now."""
    if who.role in ("manager", "admin"):
        return
    if who.role == "responder" and who.responder:
        engine = services(request).engine
        oncall, _ = await engine.rosters.on_call(engine.clock.now())
        if who.responder in oncall.role("supervisor"):
            return
    raise ApiError(403, "forbidden", "only the supervisor on call or a manager may reassign a contact")


@route(
    "POST",
    "/v1/contacts/{id}/reassign",
    roles=("responder", "manager"),
    body=ReassignIn,
    summary="Move a contact to a named responder (supervisor on call, manager)",
)
async def reassign(request: web.Request) -> web.Response:
    who = principal(request)
    await _may_reassign(request, who)
    body = await parse_body(request, ReassignIn)
    engine = services(request).engine
    updated = await engine.reassign(request.match_info["id"], body.responder, who.actor)
    return json_of(contact_view(updated, full=False))


def partner_view(p: Partner) -> dict[str, Any]:
    due = p.review_due()
    return {
        "id": p.id,
        "name": p.name,
        "services": list(p.services),
        "languages": list(p.languages),
        "hours": p.hours_text(),
        "phone": p.phone,
        "sms": p.sms,
        "email": p.email,
        "web": p.web,
        "overflow": p.overflow,
        "notes": p.notes,
        "last_verified": p.last_verified.isoformat() if p.last_verified else None,
        "review_every_days": p.review_every.days,
        "review_due": due.isoformat() if due else None,
    }


@route(
    "GET",
    "/v1/partners",
    roles=("responder", "scheduler", "manager"),
    query={"service": "only partners offering this service", "language": "only partners speaking it"},
    summary="The partner directory (the hotline's social map)",
)
async def partners(request: web.Request) -> web.Response:
    require(request, "responder", "scheduler", "manager")
    p = services(request).engine.protocol
    found = p.find_partners(request.query.get("service"), request.query.get("language"))
    return json_of([partner_view(x) for x in found])


@route(
    "GET",
    "/v1/partners/stale",
    roles=("manager",),
    summary="Partner entries past their review date (never verified counts as past)",
)
async def stale_partners(request: web.Request) -> web.Response:
    require(request, "manager")
    engine = services(request).engine
    today = engine.protocol.local(engine.clock.now()).date()
    stale = [x for x in engine.protocol.partners if x.is_stale(today)]
    return json_of({"today": today.isoformat(), "stale": [partner_view(x) for x in stale]})


@route(
    "GET",
    "/v1/reports/feedback",
    roles=("manager",),
    query={"from": "first day (default 30 days ago)", "to": "last day (default today)"},
    summary="Anonymous feedback answers counted per day",
)
async def feedback_report(request: web.Request) -> web.Response:
    require(request, "manager")
    engine = services(request).engine
    now = engine.clock.now()
    end = query_time(request, "to", now)
    start = query_time(request, "from", end - timedelta(days=30))
    window(start, end)
    p = engine.protocol
    return json_of(await feedback.report(engine.store, p, p.local(start).date(), p.local(end).date()))
