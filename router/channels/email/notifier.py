"""Notices by email for responders reached by email (a contact-change code, roster changes);
offers and pages go on to the notifier it wraps (console, log, or the phone)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
import structlog

from router.channels.email.outbound import Mailer
from router.models import Contact, Offer, Responder
from router.notify import Notifier, Page

log = structlog.get_logger("router.channels.email")
SUBJECT = "A notice from your hotline"


class EmailNotifier(Notifier):
    """Never raises into the engine: a failed send is logged and handed to the fallback."""

    def __init__(self, mailer: Mailer, fallback: Notifier) -> None:
        self.mailer = mailer
        self.fallback = fallback

    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        await self.fallback.offer(responder, offer, contact)

    async def page(self, page: Page) -> None:
        await self.fallback.page(page)

    def reaches(self, responder: Responder) -> bool:
        by_mail = (
            responder.notify_via == "email" and bool(responder.email) and self.mailer.transport is not None
        )
        return by_mail or self.fallback.reaches(responder)

    async def notice(self, responder: Responder, text: str) -> None:
        transport = self.mailer.transport
        if responder.notify_via == "email" and responder.email and transport is not None:
            msg = EmailMessage()
            msg["From"] = self.mailer.from_header
            msg["To"] = responder.email
            msg["Subject"] = SUBJECT
            msg["Date"] = formatdate(self.mailer.engine.clock.now().timestamp(), usegmt=True)
            msg["Message-ID"] = make_msgid(domain=self.mailer.domain)
            msg.set_content(text)
            try:
                await transport.send(msg)
                log.info("notice_emailed", responder=responder.id)
                return
            except (OSError, aiosmtplib.SMTPException) as exc:
                log.error("notice_email_failed", responder=responder.id, error=type(exc).__name__)
        await self.fallback.notice(responder, text)
