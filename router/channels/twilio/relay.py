"""After each transition: bridge accepted calls, relay texts both ways through the hotline number.
Every text and call is queued on the durable outbox (`outgoing.py`), so a transition or a webhook
never waits on Twilio; what the outbox gives up is handled here (the responder told, the caller
put back in the queue)."""

from __future__ import annotations

import contextlib
from typing import Any

import structlog

from router import feedback
from router.audit import AuditContext, audit
from router.channels.twilio import twiml
from router.channels.twilio.channel import ON_THE_LINE, TwilioChannel, uses_phone
from router.channels.twilio.outgoing import REASONS, Outgoing
from router.channels.twilio.sms import short_code
from router.errors import RouterError
from router.models import Contact, Event, Message, Responder

log = structlog.get_logger("router.channels.twilio")
# The person's side of a relayed conversation is labelled, never numbered.
THEM = "Them"


def transcript(messages: list[Message]) -> str:
    return "\n".join(f"{THEM if m.direction == 'in' else 'You'}: {m.body}" for m in messages)


class Relay:
    """The engine listener of the Twilio channel. Every failure is logged here (no number,
    no body) so the engine's own catch-all never has to."""

    def __init__(self, channel: TwilioChannel, out: Outgoing) -> None:
        self.channel = channel
        self.out = out
        out.when_given_up.update(
            {
                "relay_out": self._reply_given_up,
                "bridge": self._bridge_given_up,
                "partner": self._partner_given_up,
            }
        )

    async def on_event(self, contact: Contact, event: Event) -> None:
        try:
            if event.event == "accepted":
                await self._accepted(contact, event)
            elif event.event == "message_received":
                await self._to_responder(contact)
            elif event.event == "message_sent" and contact.channel == "sms":
                await self._to_person(contact)
            elif event.event == "reassigned" and contact.status.value in ("assigned", "answered"):
                await self._accepted(contact, event)
            elif event.event == "feedback_asked" and contact.channel == "sms":
                await self._ask_feedback(contact)
            elif event.event == "partner_transfer_requested" and contact.channel == "voice":
                await self._transfer_to_partner(contact, str((event.model_extra or {}).get("partner", "")))
        except RouterError as exc:
            log.error("relay_failed", event=event.event, contact_id=contact.id, error=type(exc).__name__)

    async def _ask_feedback(self, contact: Contact) -> None:
        """The protocol's one optional question, after the conversation (its answer is anonymous)."""
        engine = self.channel.engine
        text = feedback.question(engine.protocol, contact.language)
        if text is None:
            return
        await feedback.ask(engine.store, engine.protocol, contact.sender_key)
        await self.out.text_person(contact.id, text, "feedback")
        log.info("feedback_asked", contact_id=contact.id)

    async def _transfer_to_partner(self, contact: Contact, partner_id: str) -> None:
        """Warm transfer: ring the partner hotline; the caller stays in our queue (and can still
        be taken by our own responders) until the partner picks up and is joined to them."""
        partner = self.channel.engine.protocol.partner(partner_id)
        number = partner.transfer_to or partner.phone if partner else None
        if partner is None or not number:
            log.error("partner_transfer_impossible", contact_id=contact.id, partner=partner_id)
            return
        links = self.channel.links
        await self.out.call_partner(
            contact.id,
            partner.id,
            url=links.url("/partner/call", contact=contact.id, partner=partner.id),
            status_callback=links.url("/status", partner_call=contact.id),
        )
        log.warning("partner_transfer_dialled", contact_id=contact.id, partner=partner.id)

    async def _responder(self, contact: Contact) -> Responder | None:
        if contact.responder is None:
            return None
        return await self.channel.service.store.get_responder(contact.responder)

    async def _accepted(self, contact: Contact, event: Event) -> None:
        responder = await self._responder(contact)
        if responder is None or not responder.phone:
            if contact.channel == "voice":
                log.error("bridge_impossible_no_phone", contact_id=contact.id, responder=contact.responder)
            return
        code = short_code(contact.id)
        if contact.channel == "voice":
            offer_id = (event.model_extra or {}).get("offer_id")
            if offer_id is not None and ON_THE_LINE.get() == offer_id:
                return  # accepted by keypress on our call: that call bridges itself
            links = self.channel.links
            await self.out.call_responder(
                responder,
                "bridge",
                url=links.url("/bridge", contact=contact.id),
                status_callback=links.url("/status", bridge=contact.id),
                timeout_s=30,
                contact=contact.id,
            )
            log.info("bridge_call_queued", contact_id=contact.id, responder=responder.id)
            if uses_phone(responder):
                await self.out.text_responder(
                    responder,
                    f"[{code}] Accepted: {twiml.describe(contact)}. Calling you now to connect the caller.",
                    "accepted",
                    contact=contact.id,
                )
            return
        if not uses_phone(responder):
            return
        if contact.channel == "sms":
            body = (
                f"[{code}] Accepted: {twiml.describe(contact)}. So far:\n{transcript(contact.messages)}\n"
                "Reply here to answer (the person sees only the hotline number). "
                "CLOSE <disposition> when done."
            )
        else:
            body = f"[{code}] Accepted: {twiml.describe(contact)}. Continue in the console."
        await self._audit_relay(contact, responder, "accepted")
        await self.out.text_responder(responder, body, "accepted", contact=contact.id)

    async def _audit_relay(self, contact: Contact, responder: Responder, what: str) -> None:
        """The person's words leave for a responder's phone: recorded before they are sent."""
        if contact.channel != "sms" and what == "accepted":
            return  # an offer summary without the conversation
        engine = self.channel.engine
        ctx = AuditContext(engine.store, engine.clock.now(), responder.id, "responder")
        await audit(ctx, "sms.relay_to_responder", contact.id, f"responder={responder.id} kind={what}")

    async def _to_responder(self, contact: Contact) -> None:
        if contact.status.value not in ("assigned", "answered") or not contact.messages:
            return
        responder = await self._responder(contact)
        if responder is None or not uses_phone(responder):
            return
        last = contact.messages[-1]
        await self._audit_relay(contact, responder, "relay_in")
        await self.out.text_responder(
            responder, f"[{short_code(contact.id)}] {last.body}", "relay_in", contact=contact.id
        )

    async def _to_person(self, contact: Contact) -> None:
        last = contact.messages[-1] if contact.messages else None
        if last is None or last.direction != "out":
            return
        await self.out.text_person(contact.id, last.body, "relay_out")
        log.info("relay_out_queued", contact_id=contact.id)

    # -- what the outbox gave up -------------------------------------------------------------
    async def _reply_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        """A responder's reply never reached the person: it goes on the contact's timeline (the
        console shows it) and the responder is told, so nobody believes it was read."""
        engine = self.channel.engine
        contact = await engine.store.get_contact(ref)
        if contact is None:
            return
        log.error("relay_out_failed", contact_id=contact.id, why=why)
        with contextlib.suppress(RouterError):
            await engine.note(contact.id, "delivery_failed", channel="sms", why=why)
        responder = await self._responder(contact)
        if responder is None:
            return
        if why == "opted_out":
            told = "they replied STOP, so texts to them are blocked"
        elif why in REASONS.values() or why.startswith("refused_"):
            told = "the phone network refused it"
        else:
            told = "the network failed after several tries"
        await engine.notifier.notice(responder, f"[{short_code(contact.id)}] Not delivered: {told}.")

    async def _bridge_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        """The responder who accepted a caller cannot be called: the caller goes back to their
        place in the queue for the next responder, as when the bridge call is not picked up."""
        contact_id = str(body["contact"])
        log.error("bridge_call_failed", contact_id=contact_id, responder=ref, why=why)
        with contextlib.suppress(RouterError):  # answered or ended meanwhile
            await self.channel.engine.release(contact_id, "bridge_call_failed")

    async def _partner_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        # The caller is still in our queue, still escalating: the ladder goes on without the partner.
        log.error("partner_transfer_failed", contact_id=ref, partner=body.get("partner"), why=why)
