"""Email: an SMTP server and webhook into the queue, and threaded replies out through a relay."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from router.channels.email.ids import contact_of, mail_domain, new_message_id
from router.channels.email.inbound import EmailIntake, Outcome
from router.channels.email.notifier import EmailNotifier
from router.channels.email.outbound import Mailer, MailTransport, RelayTransport
from router.channels.email.smtp import IntakeHandler, SmtpServer, hotline_addresses
from router.channels.email.webhook import INTAKE, SECRET, SECRET_HEADER, inbound, inbound_secret
from router.service import Service

__all__ = [
    "EMAIL",
    "SECRET_HEADER",
    "EmailChannel",
    "EmailIntake",
    "EmailNotifier",
    "MailTransport",
    "Mailer",
    "Outcome",
    "RelayTransport",
    "contact_of",
    "inbound_secret",
    "install",
    "mail_domain",
    "new_message_id",
]
# Loopback unless told otherwise: a public MX should be an MTA (Postfix) forwarding here, so this
# listener is never an unauthenticated internet-facing endpoint by accident.
DEFAULT_SMTP_HOST = "127.0.0.1"


@dataclass
class EmailChannel:
    service: Service
    mailer: Mailer
    intake: EmailIntake
    smtp: SmtpServer

    @classmethod
    def create(cls, service: Service, transport: MailTransport | None = None) -> EmailChannel:
        settings = service.settings
        if transport is None and settings.smtp_relay:
            transport = RelayTransport(settings.smtp_relay)
        mailer = Mailer(service, transport)
        intake = EmailIntake(service, mailer)
        handler = IntakeHandler(intake, hotline_addresses(settings.mail_from))
        return cls(service, mailer, intake, SmtpServer(handler, mailer.domain))

    @property
    def smtp_port(self) -> int | None:
        return self.smtp.port

    async def start(self) -> None:
        """Listen for SMTP when settings.smtp_port is set (0 picks a free port)."""
        settings = self.service.settings
        if settings.smtp_port is not None:
            host = getattr(settings, "smtp_host", None) or DEFAULT_SMTP_HOST
            await self.smtp.start(host, settings.smtp_port)

    async def stop(self) -> None:
        await self.smtp.stop()
        await self.mailer.close()


EMAIL = web.AppKey("email_channel", EmailChannel)


def install(app: web.Application, service: Service) -> None:
    """The webhook route, the reply listener, and the SMTP server started and stopped with the app."""
    channel = EmailChannel.create(service)
    app[EMAIL] = channel
    app[INTAKE] = channel.intake
    secret = inbound_secret(service.settings)
    if secret:
        app[SECRET] = secret
    service.engine.listeners.append(channel.mailer)
    # Offers, pages and reminders reach `notify_via: email` responders through the same relay.
    service.engine.notifier = EmailNotifier(channel.mailer, fallback=service.engine.notifier)
    app.router.add_post("/channels/email/inbound", inbound)

    async def startup(_: web.Application) -> None:
        await channel.start()

    async def cleanup(_: web.Application) -> None:
        await channel.stop()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
