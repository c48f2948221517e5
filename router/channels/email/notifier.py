"""Offers, pages and notices (shift reminders, roster changes) by email, through the outbound
relay, for responders who chose `notify_via: email` (and pages whose step says `via: email`).

The mail names the channel, priority, flags and waiting time, never the person's address or
words; the console (or the API) is where the contact itself is read. The wrapped notifier is
always told as well, so the console and the log keep the whole picture."""

from __future__ import annotations

from collections.abc import Awaitable
from email.message import EmailMessage
from email.utils import formatdate

import structlog

from router.channels.email.ids import new_message_id
from router.channels.email.outbound import Mailer
from router.models import Contact, Offer, Responder
from router.notify import Notifier, Page

log = structlog.get_logger("router.channels.email")


def _what(contact: Contact) -> str:
    flags = f", flags: {', '.join(contact.flags)}" if contact.flags else ""
    return f"{contact.channel} contact, priority {contact.priority.value}{flags}"


class EmailNotifier(Notifier):
    def __init__(self, mailer: Mailer, fallback: Notifier) -> None:
        self.mailer = mailer
        self.fallback = fallback

    def _staff_mail(self, responder: Responder, subject: str, body: str) -> EmailMessage:
        assert responder.email is not None
        msg = EmailMessage()
        msg["From"] = self.mailer.from_header
        msg["To"] = responder.email
        msg["Subject"] = f"[{self.mailer.engine.protocol.hotline or 'Hotline'}] {subject}"
        msg["Date"] = formatdate(self.mailer.engine.clock.now().timestamp(), usegmt=True)
        msg["Message-ID"] = new_message_id(f"staff-{responder.id}", self.mailer.domain)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body)
        return msg

    def _send(self, responder: Responder, subject: str, body: str, kind: str, ref: str) -> None:
        self.mailer.send(self._staff_mail(responder, subject, body), ref, kind)

    @staticmethod
    def _by_email(responder: Responder) -> bool:
        return responder.notify_via == "email" and bool(responder.email)

    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        if self._by_email(responder):
            secs = int((offer.expires_at - offer.created_at).total_seconds())
            body = (
                f"New offer: {_what(contact)}.\n"
                f"Offer {offer.id} for contact {contact.id}; it passes on after {secs}s.\n"
                "Accept or pass in the console (or POST /v1/offers/{id}/accept)."
            )
            self._send(responder, f"Offer: {_what(contact)}", body, "offer", offer.id)
        await self._safely(self.fallback.offer(responder, offer, contact))

    async def page(self, page: Page) -> None:
        if page.responder.email and ("email" in page.via or page.responder.notify_via == "email"):
            now = self.mailer.engine.clock.now()
            waited = int((now - page.contact.received_at).total_seconds() // 60)
            body = (
                f"{page.reason.replace('_', ' ').capitalize()}: {_what(page.contact)}, "
                f"waiting {waited} min, escalation level {page.contact.escalation_level}.\n"
                f"Contact {page.contact.id}. Open the console to act on it."
            )
            self._send(
                page.responder, f"Page ({page.reason}): {_what(page.contact)}", body, "page", page.contact.id
            )
        await self._safely(self.fallback.page(page))

    def reaches(self, responder: Responder) -> bool:
        by_mail = self._by_email(responder) and self.mailer.transport is not None
        return by_mail or self.fallback.reaches(responder)

    async def notice(self, responder: Responder, text: str) -> None:
        if self._by_email(responder):
            self._send(responder, "Notice", text, "notice", f"notice-{responder.id}")
            return
        await self._safely(self.fallback.notice(responder, text))

    async def _safely(self, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:  # never into the engine
            log.error("notify_error", kind="fallback", error=type(exc).__name__)
