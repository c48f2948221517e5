"""Flags and priority raised during a contact by the responder holding it or a supervisor."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from protocols import Priority
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.routing import json_of, principal, route
from router.api.views import contact_view
from router.flagging import MAX_FLAG_LEN, MAX_FLAGS, add_flags


class FlagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    add: list[str] = Field(default_factory=list, max_length=MAX_FLAGS)
    priority: Priority | None = None

    def names(self) -> list[str]:
        return [f.strip() for f in self.add]


@route(
    "POST",
    "/v1/contacts/{id}/flags",
    roles=("responder", "manager"),
    body=FlagsIn,
    summary="Add flags (and raise priority) during a contact: the assigned responder or a supervisor",
)
async def post_flags(request: web.Request) -> web.Response:
    svc = services(request)
    contact = await svc.engine.get_contact(request.match_info["id"])
    who = principal(request)
    if who.role == "responder" and contact.responder != who.responder:
        oncall, _ = await svc.engine.rosters.on_call(svc.engine.clock.now())
        if who.responder not in oncall.supervisor:
            raise ApiError(
                403, "forbidden", "only the assigned responder, a supervisor or a manager may flag"
            )
    body = await parse_body(request, FlagsIn)
    if not body.add and body.priority is None:
        raise ApiError(422, "invalid", "add: name at least one flag, or give a priority")
    if any(len(f) > MAX_FLAG_LEN for f in body.add):
        raise ApiError(422, "invalid", f"add: a flag name is at most {MAX_FLAG_LEN} characters")
    updated = await add_flags(svc.engine, contact.id, body.names(), body.priority, who.actor)
    return json_of(contact_view(updated))
