"""Warm transfer to a partner hotline: the partner answers, hears the handoff flags, and is
joined to the caller, who hears the protocol's partner_handoff text."""

from __future__ import annotations

import structlog
from aiohttp import web

from protocols import HANDLE_WITH_CARE
from router.channels.twilio import twiml
from router.channels.twilio.channel import CHANNEL
from router.channels.twilio.security import Form
from router.errors import RouterError

log = structlog.get_logger("router.channels.twilio")


def _xml(body: str) -> web.Response:
    return web.Response(text=body, content_type="application/xml")


async def partner_call(request: web.Request, form: Form) -> web.StreamResponse:
    """The partner hotline answered our transfer call: join them to the caller still waiting."""
    ch = request.app[CHANNEL]
    contact = await ch.service.store.get_contact(request.query.get("contact", ""))
    partner = request.query.get("partner", "")
    if contact is None or not contact.is_unanswered:
        return _xml(twiml.say_and_hang_up("The caller is no longer waiting. Thank you for answering."))
    # Flags marked `handoff: true` travel with the handoff: the partner hears them first.
    protocol = ch.engine.protocol
    labels = [protocol.flags[f].label or f for f in protocol.handoff_flags(contact.flags)]
    care = f" Flagged: {', '.join(labels)}." if labels else ""
    care += " Please handle with care." if HANDLE_WITH_CARE in contact.flags else ""
    return _xml(
        twiml.bridge(
            f"This is the {ch.engine.protocol.hotline or 'hotline'} transferring a caller who has waited "
            f"without an answer.{care} Connecting you now.",
            queue=contact.id,
            connect_url=ch.links.url("/partner/connect", contact=contact.id, partner=partner),
            caller_id=ch.number,
            status_url=ch.links.url("/bridge/ended", contact=contact.id),
        )
    )


async def partner_connect(request: web.Request, form: Form) -> web.StreamResponse:
    """Run on the caller's leg as it joins the partner: the handoff happened; record it, and
    the caller hears the protocol's partner_handoff text before the partner is on the line."""
    ch = request.app[CHANNEL]
    contact_id = request.query.get("contact", "")
    partner = ch.engine.protocol.partner(request.query.get("partner", ""))
    contact = await ch.service.store.get_contact(contact_id)
    try:
        await ch.engine.hand_off(contact_id, request.query.get("partner", ""), "warm_transfer")
    except RouterError as exc:
        log.warning("handoff_not_recorded", contact_id=contact_id, error=type(exc).__name__)
    language = contact.language if contact else None
    text = ch.engine.protocol.handoff_message("voice", language, partner) if partner else None
    return _xml(twiml.say(text, language) if text else twiml.empty_voice())
