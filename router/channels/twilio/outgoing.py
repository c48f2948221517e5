"""Texts and calls leave through the durable outbox, queued by contact or responder id: the number
is looked up only when sent, so a number changed meanwhile is honoured and none waits in the
queue, and a provider outage is retried there, never inside a webhook or a transition."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiohttp import web

from router.channels.twilio.channel import TwilioChannel, same_number
from router.channels.twilio.provider import ProviderError
from router.channels.twilio.sms import split_sms
from router.models import ContactStatus, OfferStatus, Responder
from router.outbox import Outbox, PermanentFailure

log = structlog.get_logger("router.channels.twilio")
SMS, CALL = "sms", "call"
# Offers and pages are worth little late: a method that keeps failing gives way to the next
# (and at last to the console) after this long, not after the outbox's full backoff.
PATIENCE = timedelta(seconds=15)
# Twilio error codes worth a word of their own in logs and in what the responder is told.
REASONS = {21610: "opted_out", 21211: "invalid_number", 21614: "not_mobile", 21612: "unreachable"}

# (ref, body, why), by what the message was ("offer", "page", "relay_out", ...).
GaveUp = Callable[[str, dict[str, Any], str], Awaitable[None]]


def refusal(exc: ProviderError) -> str | None:
    """Why no retry can help (a 4xx other than 429: opted out, invalid number), or None."""
    if exc.status is None or not 400 <= exc.status < 500 or exc.status == 429:
        return None
    return REASONS.get(exc.code or 0, f"refused_{exc.status}_{exc.code or 0}")


class Outgoing:
    """The Twilio channel's senders on the outbox, and the helpers that queue for them."""

    def __init__(self, channel: TwilioChannel) -> None:
        self.channel = channel
        self.outbox = channel.service.outbox
        # What the notifier and the relay do when a message of theirs is given up.
        self.when_given_up: dict[str, GaveUp] = {}
        self.register(self.outbox)

    def register(self, outbox: Outbox) -> None:
        """Send this channel's messages from `outbox` (the service's; a test adds another's)."""
        outbox.senders[SMS] = self.send_text
        outbox.senders[CALL] = self.place_call
        outbox.give_up_handlers[SMS] = self._given_up
        outbox.give_up_handlers[CALL] = self._given_up

    @property
    def now(self) -> datetime:
        return self.channel.engine.clock.now()

    def patience(self, expires_at: datetime | None = None) -> datetime:
        until = self.now + PATIENCE
        return min(until, expires_at) if expires_at is not None else until

    # -- queueing --------------------------------------------------------------------------
    async def text_person(self, contact_id: str, text: str, what: str) -> None:
        """A text to the person of a contact, from the hotline number (their number looked up when sent)."""
        body = {"ref": contact_id, "to": "person", "what": what, "text": text}
        await self.outbox.put(SMS, contact_id, body)

    async def text_responder(
        self,
        responder: Responder,
        text: str,
        what: str,
        until: datetime | None = None,
        **extra: Any,
    ) -> None:
        body = {"ref": responder.id, "to": "responder", "what": what, "text": text, **extra}
        body.update(await self._address(responder))
        await self.outbox.put(SMS, responder.id, body, give_up_at=until)

    async def call_responder(
        self,
        responder: Responder,
        what: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status_callback: str | None = None,
        timeout_s: int | None = None,
        until: datetime | None = None,
        **extra: Any,
    ) -> None:
        call = {"url": url, "twiml": twiml, "status_callback": status_callback, "timeout_s": timeout_s}
        body = {"ref": responder.id, "to": "responder", "what": what, "call": call, **extra}
        body.update(await self._address(responder))
        await self.outbox.put(CALL, responder.id, body, give_up_at=until)

    async def call_partner(self, contact_id: str, partner_id: str, url: str, status_callback: str) -> None:
        call = {"url": url, "twiml": None, "status_callback": status_callback, "timeout_s": 30}
        body = {"ref": contact_id, "to": "partner", "partner": partner_id, "what": "partner", "call": call}
        await self.outbox.put(CALL, contact_id, body)

    async def _address(self, responder: Responder) -> dict[str, Any]:
        """How the number is found when sent: the record's phone, as a rule; the phone waiting
        to be confirmed for a code; only when the record no longer holds this number (the old
        phone told of a change) does the number travel in the message (sealed at rest)."""
        stored = await self.channel.service.store.get_responder(responder.id)
        if stored is not None and same_number(stored.phone, responder.phone):
            return {}
        change = stored.pending_change if stored is not None else None
        if change is not None and change.field == "phone" and same_number(change.value, responder.phone):
            return {"address": "pending"}
        return {"address": "given", "phone": responder.phone}

    # -- sending (the outbox calls these) ----------------------------------------------------
    async def _number(self, body: dict[str, Any]) -> str:
        store, ref = self.channel.service.store, str(body["ref"])
        if body["to"] == "person":
            contact = await store.get_contact(ref)
            if contact is None or not contact.sender:
                raise PermanentFailure("contact_gone")
            return contact.sender
        if body["to"] == "partner":
            partner = self.channel.engine.protocol.partner(str(body["partner"]))
            number = (partner.transfer_to or partner.phone) if partner else None
            if not number:
                raise PermanentFailure("partner_without_number")
            return number
        if body.get("address") == "given" and body.get("phone"):
            return str(body["phone"])
        responder = await store.get_responder(ref)
        if responder is None:
            raise PermanentFailure("responder_gone")
        if body.get("address") == "pending":
            change = responder.pending_change
            if change is None or change.field != "phone":
                raise PermanentFailure("change_gone")
            return change.value
        if not responder.phone:
            raise PermanentFailure("no_phone")
        return responder.phone

    async def _still_wanted(self, body: dict[str, Any]) -> bool:
        """An offer taken or expired, a bridge for a contact no longer held: nothing to send."""
        store = self.channel.service.store
        if body["what"] == "offer":
            offer = await store.get_offer(str(body["offer"]))
            return offer is not None and offer.status == OfferStatus.pending
        if body["what"] == "bridge":
            contact = await store.get_contact(str(body["contact"]))
            return (
                contact is not None
                and contact.status == ContactStatus.assigned
                and contact.responder == body["ref"]
            )
        return True

    async def send_text(self, body: dict[str, Any]) -> None:
        """The outbox's sender for texts. A long text goes in parts; the parts already sent are
        noted in the body, so a retry sends only the rest."""
        if not await self._still_wanted(body):
            log.info("sms_not_needed", what=body["what"], ref=body["ref"])
            return
        to = await self._number(body)
        parts = split_sms(str(body["text"]))
        try:
            for part in parts[int(body.get("parts_sent", 0)) :]:
                await self.channel.provider.send_sms(to, part)
                body["parts_sent"] = int(body.get("parts_sent", 0)) + 1
        except ProviderError as exc:
            why = refusal(exc)
            log.warning("sms_failed", what=body["what"], ref=body["ref"], status=exc.status, code=exc.code)
            if why is not None:
                raise PermanentFailure(why) from None
            raise
        log.info("sms_sent", what=body["what"], ref=body["ref"])

    async def place_call(self, body: dict[str, Any]) -> None:
        """The outbox's sender for calls (offers, pages, bridges, partner transfers)."""
        if not await self._still_wanted(body):
            log.info("call_not_needed", what=body["what"], ref=body["ref"])
            return
        to = await self._number(body)
        call = body["call"]
        try:
            await self.channel.provider.place_call(
                to,
                url=call.get("url"),
                twiml=call.get("twiml"),
                status_callback=call.get("status_callback"),
                timeout_s=call.get("timeout_s"),
            )
        except ProviderError as exc:
            why = refusal(exc)
            log.warning("call_failed", what=body["what"], ref=body["ref"], status=exc.status, code=exc.code)
            if why is not None:
                raise PermanentFailure(why) from None
            raise
        log.info("call_placed", what=body["what"], ref=body["ref"])

    async def _given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        handler = self.when_given_up.get(str(body.get("what")))
        if handler is not None:
            await handler(ref, body, why)


def rest_of(body: dict[str, Any]) -> Sequence[str]:
    """The phone methods still to try after this one (offers and pages)."""
    rest = body.get("rest") or []
    return [str(m) for m in rest]


OUTGOING: web.AppKey[Outgoing] = web.AppKey("twilio_outgoing", Outgoing)
