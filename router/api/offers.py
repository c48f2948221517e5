"""Offers: a responder's pending offers, accept and decline."""

from __future__ import annotations

from aiohttp import web

from router.api.context import services
from router.api.errors import ApiError
from router.api.routing import json_of, principal, route
from router.api.views import contact_view, offer_card_view, offer_view


def _acting_for(request: web.Request, responder: str | None) -> str | None:
    p = principal(request)
    if p.role in ("admin", "manager"):
        return responder
    if p.role == "responder":
        if responder not in (None, p.responder):
            raise ApiError(403, "forbidden", "a responder sees only their own offers")
        return p.responder
    raise ApiError(403, "forbidden", f"the {p.role} role has no offers")


@route(
    "GET",
    "/v1/offers",
    roles=("responder", "manager"),
    query={"responder": "responder id", "status": "pending (default)"},
    summary="Pending offers, each with the contact facts a responder decides on (no personal data)",
)
async def list_offers(request: web.Request) -> web.Response:
    rid = _acting_for(request, request.query.get("responder"))
    status = request.query.get("status", "pending")
    svc = services(request)
    offers = await svc.engine.offers_for(rid, status)
    contacts = {c.id: c for c in await svc.store.get_contacts(list({o.contact_id for o in offers}))}
    now = svc.engine.clock.now()
    return json_of([offer_card_view(o, contacts.get(o.contact_id), now) for o in offers])


async def _resolve(request: web.Request, accept: bool) -> web.Response:
    p = principal(request)
    by = p.responder if p.role == "responder" else None
    if p.role not in ("admin", "manager", "responder"):
        raise ApiError(403, "forbidden", f"the {p.role} role cannot accept offers")
    engine = services(request).engine
    oid = request.match_info["id"]
    contact = await (engine.accept(oid, by) if accept else engine.decline(oid, by))
    offer = await engine.store.get_offer(oid)
    assert offer is not None
    return json_of({**offer_view(offer), "contact": contact_view(contact, full=False)})


@route("POST", "/v1/offers/{id}/accept", roles=("responder", "manager"), summary="Accept an offer")
async def accept(request: web.Request) -> web.Response:
    return await _resolve(request, True)


@route("POST", "/v1/offers/{id}/decline", roles=("responder", "manager"), summary="Decline an offer")
async def decline(request: web.Request) -> web.Response:
    return await _resolve(request, False)
