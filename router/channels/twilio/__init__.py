"""Phone and SMS through Twilio: webhooks in, offers and relays out, every request signature-checked."""

from __future__ import annotations

import structlog
from aiohttp import web

from router.api.app import Extension
from router.channels.twilio import messaging, partner, voice
from router.channels.twilio.channel import CHANNEL, TwilioChannel
from router.channels.twilio.notifier import NOTIFIER, TwilioNotifier
from router.channels.twilio.outgoing import OUTGOING, Outgoing
from router.channels.twilio.provider import PhoneProvider, ProviderError, Sent, TwilioProvider
from router.channels.twilio.relay import Relay
from router.channels.twilio.security import PREFIX, Guard, Handler, Links
from router.channels.twilio.setup import CheckReport, check, webhook_urls
from router.service import Service

__all__ = [
    "OUTGOING",
    "PREFIX",
    "CheckReport",
    "Outgoing",
    "PhoneProvider",
    "ProviderError",
    "Sent",
    "TwilioNotifier",
    "TwilioProvider",
    "check",
    "install",
    "installer",
    "webhook_urls",
]

log = structlog.get_logger("router.channels.twilio")

ROUTES: list[tuple[str, Handler]] = [
    ("/voice", voice.incoming_call),
    ("/voice/language", voice.language_chosen),
    ("/voice/left", voice.left_queue),
    ("/hold", voice.hold),
    ("/status", voice.status),
    ("/offer/call", voice.offer_call),
    ("/offer/key", voice.offer_key),
    ("/bridge", voice.bridge_call),
    ("/bridge/ended", voice.bridge_ended),
    ("/connect", voice.connect),
    ("/partner/call", partner.partner_call),
    ("/partner/connect", partner.partner_connect),
    ("/sms", messaging.incoming_sms),
]


def provider_for(service: Service) -> TwilioProvider:
    s = service.settings
    return TwilioProvider(
        s.twilio_account_sid or "",
        s.twilio_auth_token or "",
        s.twilio_number or "",
        api_base=s.twilio_api_base,
    )


def installer(provider: PhoneProvider | None = None) -> Extension:
    """An extension for `create_app` using `provider` (default: the real Twilio client)."""

    def extend(app: web.Application, service: Service) -> None:
        s = service.settings
        missing = [
            name
            for name, value in (
                ("SAFETYNET_PUBLIC_URL", s.public_url),
                ("SAFETYNET_TWILIO_AUTH_TOKEN", s.twilio_auth_token),
                ("SAFETYNET_TWILIO_ACCOUNT_SID", s.twilio_account_sid),
                ("SAFETYNET_TWILIO_NUMBER", s.twilio_number),
            )
            if not value
        ]
        if missing:
            log.error("twilio_incomplete", missing=missing)
        phone = provider or provider_for(service)
        channel = TwilioChannel(
            service=service, provider=phone, links=Links(s.public_url or ""), number=s.twilio_number
        )
        # Every text and call leaves through the service's durable outbox (senders registered here).
        out = Outgoing(channel)
        notifier = TwilioNotifier(channel, out, fallback=service.engine.notifier)
        app[CHANNEL] = channel
        app[NOTIFIER] = notifier
        app[OUTGOING] = out
        guard = Guard(s.twilio_auth_token, s.public_url)
        for path, handler in ROUTES:
            app.router.add_post(PREFIX + path, guard.wrap(handler))
        service.engine.listeners.append(Relay(channel, out))
        service.engine.notifier = notifier

        async def close_provider(_: web.Application) -> None:
            await phone.close()

        app.on_cleanup.append(close_provider)

    return extend


def install(app: web.Application, service: Service) -> None:
    """Add the Twilio webhooks, the relay listener and the phone notifier (settings from the service)."""
    installer()(app, service)
