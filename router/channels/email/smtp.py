"""The SMTP server that receives the hotline's mail (aiosmtpd on this process's own event loop)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from router.channels.email.inbound import EmailIntake
from router.store import StoreUnavailable

log = structlog.get_logger("router.channels.email")
MAX_MESSAGE = 25 * 1024 * 1024
# aiosmtpd logs every envelope address at INFO on "mail.log": addresses are personal data.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class IntakeHandler:
    """aiosmtpd handler: RCPT accepts only the hotline's addresses; DATA goes to intake."""

    def __init__(self, intake: EmailIntake, accepts: Callable[[str], bool]) -> None:
        self.intake = intake
        self.accepts = accepts

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.accepts(address):
            return "550 5.1.1 Not a mailbox of this hotline"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        if not isinstance(raw, bytes):
            return "554 5.6.0 No message content"
        sender = envelope.mail_from if isinstance(envelope.mail_from, str) else None
        try:
            outcome = await self.intake.receive(raw, sender)
        except StoreUnavailable:
            log.error("email_store_unavailable")
            return "451 4.3.0 Temporarily unable to accept mail; please try again"
        except Exception as exc:  # the sender's MTA retries a 4xx; nothing is lost by saying so
            log.error("email_intake_failed", error=type(exc).__name__)
            return "451 4.3.0 Temporarily unable to accept mail; please try again"
        if outcome.kind == "refused":  # over the sender's hourly limit: their server tries again later
            return "450 4.7.1 Too many new conversations from this sender; please try again later"
        return f"250 2.0.0 Accepted ({outcome.kind})"


def hotline_addresses(mail_from: str | None) -> Callable[[str], bool]:
    """Accept any address at the hotline's mail domain; with no mail_from set, accept all."""
    address = parseaddr(mail_from or "")[1].lower()
    domain = address.rpartition("@")[2]

    def accepts(rcpt: str) -> bool:
        if not domain:
            return True
        return parseaddr(rcpt)[1].lower().rpartition("@")[2] == domain

    return accepts


class SmtpServer:
    def __init__(self, handler: IntakeHandler, hostname: str) -> None:
        self.handler = handler
        self.hostname = hostname
        self.server: asyncio.Server | None = None
        self.port: int | None = None

    def _protocol(self) -> Any:
        return SMTP(
            self.handler,
            data_size_limit=MAX_MESSAGE,
            hostname=self.hostname,
            ident="SafetyNet",
            enable_SMTPUTF8=True,
            loop=asyncio.get_running_loop(),
        )

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._protocol, host, port)
        self.port = int(self.server.sockets[0].getsockname()[1])
        log.info("smtp_listening", host=host, port=self.port)
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
