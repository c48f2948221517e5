"""Offers and pages on responders' own phones, by text or by voice call, falling back method by method
(each method queued on the durable outbox; the next is tried when one is given up)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

import structlog
from aiohttp import web

from protocols import Priority
from router.channels.twilio import twiml
from router.channels.twilio.channel import TwilioChannel
from router.channels.twilio.outgoing import Outgoing, rest_of
from router.channels.twilio.sms import short_code
from router.models import Contact, Offer, OfferStatus, Responder
from router.notify import Notifier, Page

log = structlog.get_logger("router.channels.twilio")
PHONE_METHODS = ("voice", "sms")
URGENT = frozenset({Priority.critical, Priority.high})


def offer_methods(responder: Responder, contact: Contact) -> list[str]:
    """Phone methods to try in order: a call for voice contacts and urgent escalations (a text
    is too easy to miss), else the responder's choice; console responders get none."""
    if not responder.phone or responder.notify_via not in PHONE_METHODS:
        return []
    urgent = contact.priority in URGENT and contact.escalation_level > 0
    first = "voice" if contact.channel == "voice" or urgent or responder.notify_via == "voice" else "sms"
    return [first, "sms" if first == "voice" else "voice"]


def page_methods(responder: Responder, via: tuple[str, ...]) -> list[str]:
    if not responder.phone:
        return []
    wanted = [m for m in via if m in PHONE_METHODS]
    if not wanted:
        return []
    return list(dict.fromkeys([*wanted, *PHONE_METHODS]))


class TwilioNotifier(Notifier):
    """Offers, pages and notices are queued on the outbox, never sent inside the engine's
    transition; a method given up (refused, or failing past its patience) falls back to the
    next method, and at last to the wrapped notifier (console and log)."""

    def __init__(self, channel: TwilioChannel, out: Outgoing, fallback: Notifier) -> None:
        self.channel = channel
        self.out = out
        self.fallback = fallback
        out.when_given_up.update(
            {"offer": self._offer_given_up, "page": self._page_given_up, "notice": self._notice_given_up}
        )

    # -- offers -----------------------------------------------------------------------
    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        methods = offer_methods(responder, contact)
        if not methods:
            await self._safely(self.fallback.offer(responder, offer, contact))
            return
        await self.send_offer(methods[0], responder, offer, contact, rest=methods[1:])

    async def send_offer(
        self, method: str, responder: Responder, offer: Offer, contact: Contact, rest: Sequence[str] = ()
    ) -> None:
        """Queue the offer by `method`; `rest` are the methods to fall back to, in order."""
        links = self.channel.links
        until = self.out.patience(offer.expires_at)
        ids: dict[str, Any] = {"offer": offer.id, "contact": contact.id, "method": method, "rest": list(rest)}
        if method == "voice":
            timeout = int(min(60, max(15, self.channel.engine.protocol.offer_timeout.total_seconds())))
            await self.out.call_responder(
                responder,
                "offer",
                url=links.url("/offer/call", offer=offer.id),
                status_callback=links.url("/status", offer=offer.id),
                timeout_s=timeout,
                until=until,
                **ids,
            )
        else:
            pending = await self.channel.engine.offers_for(responder.id, "pending")
            code = short_code(offer.id) if len(pending) > 1 else None
            text = twiml.offer_text(contact, offer, code)
            await self.out.text_responder(responder, text, "offer", until, **ids)
        log.info("offer_queued", method=method, responder=responder.id, offer_id=offer.id)

    async def _offer_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        store = self.channel.service.store
        offer = await store.get_offer(str(body["offer"]))
        if offer is None or offer.status != OfferStatus.pending:
            return  # taken or expired meanwhile: nothing is owed to anyone
        responder = await store.get_responder(ref)
        contact = await store.get_contact(str(body["contact"]))
        if responder is None or contact is None:
            return
        log.warning(
            "notify_fallback", kind="offer", method=body["method"], responder=ref, offer_id=offer.id, why=why
        )
        rest = rest_of(body)
        if rest and responder.phone:
            await self.send_offer(rest[0], responder, offer, contact, rest=rest[1:])
            return
        await self._safely(self.fallback.offer(responder, offer, contact))

    # -- pages ------------------------------------------------------------------------
    async def page(self, page: Page) -> None:
        methods = page_methods(page.responder, page.via)
        if not methods:
            await self._safely(self.fallback.page(page))
            return
        await self.send_page(
            methods[0], page.responder, page.contact, page.reason, rest=methods[1:], via=page.via
        )

    async def send_page(
        self,
        method: str,
        responder: Responder,
        contact: Contact,
        reason: str,
        rest: Sequence[str] = (),
        via: Sequence[str] = (),
    ) -> None:
        now = self.channel.engine.clock.now()
        text = twiml.page_text(contact, reason, int((now - contact.received_at).total_seconds() // 60))
        ids: dict[str, Any] = {
            "contact": contact.id,
            "reason": reason,
            "method": method,
            "rest": list(rest),
            "via": list(via),
        }
        until = self.out.patience()
        if method == "voice":
            await self.out.call_responder(
                responder,
                "page",
                twiml=twiml.say_and_hang_up(text, loop=2),
                status_callback=self.channel.links.url(
                    "/status", page=contact.id, responder=responder.id, reason=reason
                ),
                timeout_s=30,
                until=until,
                **ids,
            )
        else:
            await self.out.text_responder(responder, text, "page", until, **ids)
        log.info("page_queued", method=method, reason=reason, responder=responder.id, contact_id=contact.id)

    async def _page_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        store = self.channel.service.store
        responder = await store.get_responder(ref)
        contact = await store.get_contact(str(body["contact"]))
        if responder is None or contact is None:
            return
        reason = str(body["reason"])
        log.warning(
            "notify_fallback",
            kind=reason,
            method=body["method"],
            responder=ref,
            contact_id=contact.id,
            why=why,
        )
        rest, via = rest_of(body), tuple(str(v) for v in body.get("via") or ())
        if rest and responder.phone:
            await self.send_page(rest[0], responder, contact, reason, rest=rest[1:], via=via)
            return
        page = Page(responder=responder, contact=contact, reason=reason, via=via)
        await self._safely(self.fallback.page(page))

    # -- notices ----------------------------------------------------------------------
    def reaches(self, responder: Responder) -> bool:
        by_phone = bool(responder.phone) and responder.notify_via in PHONE_METHODS
        return by_phone or self.fallback.reaches(responder)

    async def notice(self, responder: Responder, text: str) -> None:
        by_phone = bool(responder.phone) and responder.notify_via in PHONE_METHODS
        if by_phone:
            await self.out.text_responder(responder, text, "notice")
            return
        await self._safely(self.fallback.notice(responder, text))

    async def _notice_given_up(self, ref: str, body: dict[str, Any], why: str) -> None:
        responder = await self.channel.service.store.get_responder(ref)
        if responder is not None:
            log.warning("notify_fallback", kind="notice", method="sms", responder=ref, why=why)
            await self._safely(self.fallback.notice(responder, str(body["text"])))

    async def _safely(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:
            log.error("notify_error", kind="fallback", error=type(exc).__name__)


NOTIFIER: web.AppKey[TwilioNotifier] = web.AppKey("twilio_notifier", TwilioNotifier)
