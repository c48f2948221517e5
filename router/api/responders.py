"""Responders and their presence."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from router.api.audited import audited
from router.api.auth import Role
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.routing import json_of, require, route
from router.api.views import responder_view
from router.models import Presence, Responder, ResponderIn
from router.staffing import ResponderState

STAFF: tuple[Role, ...] = ("scheduler", "manager")
# Where a responder is reached: only an admin, or the responder through a confirmed code, changes these.
CONTACT_FIELDS = frozenset({"phone", "email", "notify_via"})


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Presence


def responder_id(request: web.Request) -> str:
    rid = request.match_info["id"]
    if not (1 <= len(rid) <= 128) or not rid.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ApiError(
            422,
            "invalid_id",
            "a responder id is 1-128 letters, digits, '-', '_' or '.'",
            [{"loc": ["path", "id"], "msg": "invalid responder id"}],
        )
    return rid


def _times(state: ResponderState) -> dict[str, str | None]:
    """When the responder's wrap-up and break end (None when not in one)."""
    view = state.view()
    return {"wrap_up_until": view["wrap_up_until"], "break_until": view["break_until"]}


@route(
    "PUT",
    "/v1/responders/{id}",
    roles=("scheduler",),
    body=ResponderIn,
    summary="Create or replace a responder",
)
async def put_responder(request: web.Request) -> web.Response:
    """Schedulers keep the roster's people; where a responder is reached (phone, email,
    notify_via) is the admin's, or the responder's own through a confirmed contact change:
    whoever reaches that phone reads the conversations relayed to it."""
    p = require(request, "scheduler")
    rid = responder_id(request)
    body = await parse_body(request, ResponderIn)
    svc = services(request)
    before = await svc.store.get_responder(rid)
    fields = body.model_dump()
    if p.role != "admin":
        kept = before or Responder(id=rid, name=body.name)
        # A field left out keeps what the responder has; one sent must be what they have.
        for name in CONTACT_FIELDS - body.model_fields_set:
            fields[name] = getattr(kept, name)
        changed = sorted(n for n in CONTACT_FIELDS if fields[n] != getattr(kept, n))
        if changed:
            raise ApiError(
                403,
                "forbidden",
                f"only an admin may change {', '.join(changed)} (or the responder, confirming a code "
                f"sent to the new address: POST /v1/responders/{rid}/contact-change)",
                [{"loc": [n], "msg": "an admin-only field"} for n in changed],
            )
    responder = Responder(id=rid, **fields)
    created = await svc.engine.put_responder(responder)
    changed = sorted(n for n in CONTACT_FIELDS if before is None or getattr(before, n) != fields[n])
    await audited(
        request,
        "responder.create" if created else "responder.update",
        detail=f"responder={rid}" + (f" contact_fields={','.join(changed)}" if changed else ""),
    )
    presence = (await svc.store.presence()).get(rid)
    return json_of({**responder_view(responder, presence), "created": created})


@route("GET", "/v1/responders", roles=STAFF, summary="List responders")
async def list_responders(request: web.Request) -> web.Response:
    require(request, *STAFF)
    svc = services(request)
    presence = await svc.store.presence()
    everyone = await svc.store.list_responders()
    states = await svc.engine.responder_states([r.id for r in everyone])
    return json_of([{**responder_view(r, presence.get(r.id)), **_times(states[r.id])} for r in everyone])


@route("GET", "/v1/responders/{id}", roles=(*STAFF, "responder"), summary="One responder")
async def get_responder(request: web.Request) -> web.Response:
    rid = responder_id(request)
    require(request, *STAFF, responder=rid)
    svc = services(request)
    responder = await svc.store.get_responder(rid)
    if responder is None:
        raise ApiError(404, "not_found", f"no responder {rid}")
    state = await svc.engine.responder_state(rid)
    view = responder_view(responder, (await svc.store.presence()).get(rid))
    return json_of({**view, **_times(state)})


@route(
    "PUT",
    "/v1/responders/{id}/presence",
    roles=(*STAFF, "responder"),
    body=PresenceIn,
    summary="Set a responder available, away or offline",
)
async def put_presence(request: web.Request) -> web.Response:
    rid = responder_id(request)
    require(request, *STAFF, responder=rid)
    body = await parse_body(request, PresenceIn)
    svc = services(request)
    await svc.engine.set_presence(rid, body.status)
    return json_of({"id": rid, "presence": body.status})
