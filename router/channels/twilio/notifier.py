"""Offers and pages on responders' own phones, by text or by voice call, falling back method by method."""

from __future__ import annotations

from collections.abc import Awaitable

import structlog
from aiohttp import web

from protocols import Priority
from router.channels.twilio import twiml
from router.channels.twilio.channel import TwilioChannel
from router.channels.twilio.provider import ProviderError
from router.channels.twilio.sms import short_code
from router.models import Contact, Offer, Responder
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
    """Never raises into the engine: each failure is logged and the next method is tried,
    ending with the wrapped notifier (console and log)."""

    def __init__(self, channel: TwilioChannel, fallback: Notifier) -> None:
        self.channel = channel
        self.fallback = fallback

    # -- offers -----------------------------------------------------------------------
    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        for method in offer_methods(responder, contact):
            try:
                await self.send_offer(method, responder, offer, contact)
                return
            except ProviderError as exc:
                log.warning(
                    "notify_fallback",
                    kind="offer",
                    method=method,
                    responder=responder.id,
                    offer_id=offer.id,
                    status=exc.status,
                )
            except Exception as exc:  # never into the engine; the offer still times out and moves on
                log.error("notify_error", kind="offer", method=method, error=type(exc).__name__)
        await self._safely(self.fallback.offer(responder, offer, contact))

    async def send_offer(self, method: str, responder: Responder, offer: Offer, contact: Contact) -> None:
        assert responder.phone is not None
        links = self.channel.links
        if method == "voice":
            timeout = int(min(60, max(15, self.channel.engine.protocol.offer_timeout.total_seconds())))
            await self.channel.provider.place_call(
                responder.phone,
                url=links.url("/offer/call", offer=offer.id),
                status_callback=links.url("/status", offer=offer.id),
                timeout_s=timeout,
            )
        else:
            pending = await self.channel.engine.offers_for(responder.id, "pending")
            code = short_code(offer.id) if len(pending) > 1 else None
            await self.channel.provider.send_sms(responder.phone, twiml.offer_text(contact, offer, code))
        log.info("offer_sent", method=method, responder=responder.id, offer_id=offer.id)

    # -- pages ------------------------------------------------------------------------
    async def page(self, page: Page) -> None:
        for method in page_methods(page.responder, page.via):
            try:
                await self.send_page(method, page.responder, page.contact, page.reason)
                return
            except ProviderError as exc:
                log.warning(
                    "notify_fallback",
                    kind=page.reason,
                    method=method,
                    responder=page.responder.id,
                    contact_id=page.contact.id,
                    status=exc.status,
                )
            except Exception as exc:
                log.error("notify_error", kind=page.reason, method=method, error=type(exc).__name__)
        await self._safely(self.fallback.page(page))

    async def send_page(self, method: str, responder: Responder, contact: Contact, reason: str) -> None:
        assert responder.phone is not None
        now = self.channel.engine.clock.now()
        text = twiml.page_text(contact, reason, int((now - contact.received_at).total_seconds() // 60))
        if method == "voice":
            await self.channel.provider.place_call(
                responder.phone,
                twiml=twiml.say_and_hang_up(text, loop=2),
                status_callback=self.channel.links.url(
                    "/status", page=contact.id, responder=responder.id, reason=reason
                ),
                timeout_s=30,
            )
        else:
            await self.channel.provider.send_sms(responder.phone, text)
        log.info("page_sent", method=method, reason=reason, responder=responder.id, contact_id=contact.id)

    def reaches(self, responder: Responder) -> bool:
        by_phone = bool(responder.phone) and responder.notify_via in PHONE_METHODS
        return by_phone or self.fallback.reaches(responder)

    async def notice(self, responder: Responder, text: str) -> None:
        by_phone = bool(responder.phone) and responder.notify_via in PHONE_METHODS
        if by_phone and await self.channel.text(responder.phone, text, "notice", responder=responder.id):
            return
        await self._safely(self.fallback.notice(responder, text))

    async def _safely(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:
            log.error("notify_error", kind="fallback", error=type(exc).__name__)


NOTIFIER: web.AppKey[TwilioNotifier] = web.AppKey("twilio_notifier", TwilioNotifier)
