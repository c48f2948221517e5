"""Contacts: generic intake, reading, the queue, messages, answering and closing."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from router.api.audited import audited
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.report_ask import fresh
from router.api.routing import json_of, principal, require, route
from router.api.views import contact_view, intake_view, queue_view
from router.errors import NotFound
from router.ledger.rows import contact_record
from router.models import Contact, ContactIn, ContactStatus
from router.transitions import queue_score


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=10_000)


class CloseIn(BaseModel):
    """The disposition, and what the protocol requires for it (referral, safety plan, report)."""

    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=20_000)
    referral: dict[str, Any] | None = None
    safety_plan: str | dict[str, Any] | None = None
    mandated_report: dict[str, Any] | None = None

    def outcome(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.model_dump(include={"referral", "safety_plan", "mandated_report"}).items()
            if v is not None
        }


async def _contact_for(request: web.Request, action: str, *, write: bool) -> Contact:
    """The contact, if the caller may see it: managers all, a responder their own. What the
    caller does with it (every answer carries the conversation) is recorded in the access audit."""
    svc = services(request)
    contact = await svc.engine.get_contact(request.match_info["id"])
    p = principal(request)
    allowed = p.role in ("admin", "manager") or (p.role == "responder" and contact.responder == p.responder)
    if not allowed and p.role == "responder" and not write:
        offers = await svc.engine.offers_for(p.responder, None)
        allowed = any(o.contact_id == contact.id for o in offers)
    if not allowed:
        raise ApiError(403, "forbidden", "only the assigned responder or a manager may do this")
    await audited(request, action, contact.id)
    return contact


@route("POST", "/v1/contacts", roles=("manager",), body=ContactIn, summary="Generic intake")
async def create_contact(request: web.Request) -> web.Response:
    require(request, "manager")
    incoming = await parse_body(request, ContactIn)
    contact = await services(request).engine.intake(incoming)
    return json_of(intake_view(contact), status=201)


@route("GET", "/v1/contacts/{id}", roles=("responder", "manager"), summary="A contact and its timeline")
async def get_contact(request: web.Request) -> web.Response:
    """Live state while Redis holds the contact; afterwards (a manager) its facts and timeline
    from the ledger, without messages or notes."""
    try:
        return json_of(contact_view(await _contact_for(request, "contact.read", write=False)))
    except NotFound:
        require(request, "manager")
        svc = services(request)
        await fresh(svc)
        # reading(): an in-memory ledger's readers take turns with its writer (ledger/gate.py)
        async with svc.ledger.reading() as conn:
            record = await contact_record(conn, request.match_info["id"], svc.engine.clock.now())
        if record is None:
            raise
        await audited(request, "contact.read_history", request.match_info["id"])
        return json_of(record)


@route(
    "GET",
    "/v1/queue",
    roles=("responder", "scheduler", "manager"),
    summary="Waiting contacts in the order they will be served",
)
async def queue(request: web.Request) -> web.Response:
    require(request, "responder", "scheduler", "manager")
    svc = services(request)
    contacts = await svc.store.get_contacts(await svc.store.open_contacts())
    waiting = [c for c in contacts if c.status in (ContactStatus.queued, ContactStatus.offered)]
    waiting.sort(key=queue_score)
    now = svc.engine.clock.now()
    return json_of([queue_view(c, now) for c in waiting])


@route(
    "POST",
    "/v1/contacts/{id}/messages",
    roles=("responder", "manager"),
    body=MessageIn,
    summary="A message from the assigned responder; on a text channel the first one answers",
)
async def post_message(request: web.Request) -> web.Response:
    contact = await _contact_for(request, "contact.message", write=True)
    body = await parse_body(request, MessageIn)
    if contact.responder is None:
        raise ApiError(
            409,
            "conflict",
            f"contact {contact.id} is {contact.status.value}: accept an offer for it before writing",
        )
    updated = await services(request).engine.send_message(contact.id, body.body, contact.responder)
    return json_of(contact_view(updated))


@route(
    "POST",
    "/v1/contacts/{id}/answered",
    roles=("responder", "manager"),
    summary="Mark a voice contact answered (the call is connected), for consoles without Twilio",
)
async def post_answered(request: web.Request) -> web.Response:
    contact = await _contact_for(request, "contact.answered", write=True)
    updated = await services(request).engine.answered(contact.id, "console")
    return json_of(contact_view(updated))


@route(
    "POST",
    "/v1/contacts/{id}/close",
    roles=("responder", "manager"),
    body=CloseIn,
    summary="Close with a disposition",
)
async def close(request: web.Request) -> web.Response:
    contact = await _contact_for(request, "contact.close", write=True)
    body = await parse_body(request, CloseIn)
    updated = await services(request).engine.close(
        contact.id, body.disposition, body.notes, principal(request).actor, body.outcome()
    )
    return json_of(contact_view(updated))


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="released", max_length=200)


@route(
    "POST",
    "/v1/contacts/{id}/release",
    roles=("responder", "manager"),
    body=ReleaseIn,
    summary="Give an accepted, unanswered contact back to the queue (keeps its place and deadline)",
)
async def release(request: web.Request) -> web.Response:
    contact = await _contact_for(request, "contact.release", write=True)
    body = await parse_body(request, ReleaseIn)
    updated = await services(request).engine.release(contact.id, body.reason)
    return json_of(contact_view(updated))


@route(
    "POST", "/v1/contacts/{id}/abandon", roles=("manager",), summary="The person left before anyone answered"
)
async def abandon(request: web.Request) -> web.Response:
    require(request, "manager")
    updated = await services(request).engine.abandon(request.match_info["id"])
    await audited(request, "contact.abandon", updated.id)
    return json_of(contact_view(updated))
