"""Mail going out: acknowledgements and responders' replies, threaded, retried through the relay."""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
from collections.abc import Sequence
from email import message_from_string
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import aiosmtplib
import structlog

from router.channels.email.ids import mail_domain, new_message_id
from router.models import Contact, Event
from router.outbox import PermanentFailure
from router.service import Service

log = structlog.get_logger("router.channels.email")
# Seconds before each retry: quick for a blip, then minutes for a relay that is down.
BACKOFF: tuple[float, ...] = (2, 10, 60, 300, 900)
THREAD_LIMIT = 20
OUTBOX_KIND = "email"
SMTP_POLICY = email.policy.SMTP
FALLBACK_ACK = (
    "Thank you for writing to the hotline. A person will read your message and reply soon. "
    "If you are in danger now, call 911."
)


class MailTransport(Protocol):
    """Where outgoing mail is handed over; raises OSError or aiosmtplib.SMTPException on failure."""

    async def send(self, message: EmailMessage) -> None: ...


class RelayTransport:
    """Hands mail to an SMTP relay ("host:port") with aiosmtplib, STARTTLS when offered."""

    def __init__(self, relay: str, timeout: float = 30.0) -> None:
        host, _, port = relay.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"SAFETYNET_SMTP_RELAY={relay!r} is not host:port (for example localhost:25)")
        self.host, self.port, self.timeout = host.strip("[]"), int(port), timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout)


class Mailer:
    """Engine listener: a responder's message on an email contact becomes a threaded reply."""

    def __init__(
        self,
        service: Service,
        transport: MailTransport | None,
        backoff: Sequence[float] = BACKOFF,
    ) -> None:
        settings = service.settings
        self.engine = service.engine
        self.transport = transport
        self.outbox = service.outbox
        self.outbox.backoff = tuple(backoff)
        self.outbox.senders[OUTBOX_KIND] = self.deliver
        self.outbox.on_give_up.append(self._gave_up)
        self.domain = mail_domain(settings.mail_from)
        self.from_header = settings.mail_from or f"Hotline <hotline@{self.domain}>"
        # Message-IDs of each open conversation, for References; the contact's own `ref` (the
        # person's first Message-ID) is the fallback after a restart, so nothing here must survive.
        self.threads: dict[str, list[str]] = {}
        self.tasks: set[asyncio.Task[str]] = set()
        self.failed: list[str] = []

    def remember(self, contact_id: str, message_id: str | None) -> None:
        if message_id:
            thread = self.threads.setdefault(contact_id, [])
            if message_id not in thread:
                thread.append(message_id)
                del thread[:-THREAD_LIMIT]

    def _thread(self, contact: Contact) -> list[str]:
        thread = self.threads.get(contact.id)
        if thread:
            return list(thread)
        return [contact.ref] if contact.ref else []

    def _message(self, contact: Contact, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.from_header
        msg["To"] = contact.sender
        subject = contact.subject or "Your message to the hotline"
        msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        msg["Date"] = formatdate(self.engine.clock.now().timestamp(), usegmt=True)
        msg["Message-ID"] = new_message_id(contact.id, self.domain)
        thread = self._thread(contact)
        if thread:
            msg["In-Reply-To"] = thread[-1]
            msg["References"] = " ".join(thread)
        msg.set_content(body)
        return msg

    def reply(self, contact: Contact, body: str) -> EmailMessage:
        msg = self._message(contact, body)
        self.remember(contact.id, str(msg["Message-ID"]))
        return msg

    def acknowledgement(self, contact: Contact, text: str | None = None) -> EmailMessage:
        """`text` is the protocol's text for the moment (danger, after hours, at capacity)."""
        protocol = self.engine.protocol
        text = (
            text
            or protocol.messages.get("email_ack")
            or protocol.text("email", "auto_reply", contact.language)
            or FALLBACK_ACK
        )
        msg = self._message(contact, text)
        # RFC 3834: mark it automatic so the person's own auto-responder does not answer it.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        self.remember(contact.id, str(msg["Message-ID"]))
        return msg

    def acknowledge(self, contact: Contact, text: str | None = None) -> None:
        self._spawn(self.acknowledgement(contact, text), contact.id, "acknowledgement")

    def send(self, msg: EmailMessage, ref: str, kind: str) -> None:
        """Any other mail (offers, pages, notices to staff), retried like the rest."""
        self._spawn(msg, ref, kind)

    async def on_event(self, contact: Contact, event: Event) -> None:
        if contact.channel != "email":
            return
        if event.event == "message_sent":
            out = [m for m in contact.messages if m.direction == "out"]
            if out:
                self._spawn(self.reply(contact, out[-1].body), contact.id, "reply")
        elif event.event in ("closed", "abandoned", "handed_off"):
            self.threads.pop(contact.id, None)

    def _spawn(self, msg: EmailMessage, contact_id: str, kind: str) -> None:
        # The message goes to the durable outbox, never out inside the transition or request: a
        # slow or dead relay must not hold up the responder, and a retry outlives a restart.
        body = {"raw": msg.as_string(), "ref": contact_id, "what": kind}
        task = asyncio.create_task(self.outbox.put(OUTBOX_KIND, contact_id, body), name=f"mail-{kind}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, body: dict[str, Any]) -> None:
        """The outbox's sender for mail: hand one message to the relay (raises to retry)."""
        contact_id, kind = str(body["ref"]), str(body["what"])
        if self.transport is None:
            raise PermanentFailure("no SAFETYNET_SMTP_RELAY set")
        msg = message_from_string(str(body["raw"]), policy=SMTP_POLICY)
        assert isinstance(msg, EmailMessage)
        try:
            await self.transport.send(msg)
        except (OSError, aiosmtplib.SMTPException) as exc:
            log.warning("email_send_retry", contact_id=contact_id, kind=kind, error=type(exc).__name__)
            raise
        log.info("email_sent", contact_id=contact_id, kind=kind)

    def _gave_up(self, kind: str, ref: str) -> None:
        if kind == OUTBOX_KIND:
            self.failed.append(ref)
            log.error("email_send_failed", contact_id=ref, attempts=len(self.outbox.backoff) + 1)

    @property
    def backoff(self) -> tuple[float, ...]:
        return tuple(self.outbox.backoff)

    @backoff.setter
    def backoff(self, value: Sequence[float]) -> None:
        self.outbox.backoff = tuple(value)

    async def drain(self) -> None:
        """Wait until every mail queued is sent or given up (tests, and a graceful shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks))
        await self.outbox.drain()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
