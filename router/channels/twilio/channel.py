"""The Twilio channel's shared parts: the engine, the provider, callback links and lookups."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from router.channels.once import Once
from router.channels.twilio.provider import PhoneProvider
from router.channels.twilio.security import Links
from router.engine import Engine
from router.models import Contact, ContactStatus, Responder
from router.service import Service

log = structlog.get_logger("router.channels.twilio")

# Set while a responder accepts by keypress on our offer call: they are already on the line,
# so the bridge is that call's own TwiML and no second call must be placed to them.
ON_THE_LINE: ContextVar[str | None] = ContextVar("twilio_on_the_line", default=None)
HELD = frozenset({ContactStatus.assigned, ContactStatus.answered})
_NOT_DIGITS = re.compile(r"[^\d+]")


def same_number(a: str | None, b: str | None) -> bool:
    """Equal phone numbers whatever the punctuation ("+1 (555) 010-0001" is "+15550100001")."""
    if not a or not b:
        return False
    return _NOT_DIGITS.sub("", a).lstrip("+") == _NOT_DIGITS.sub("", b).lstrip("+")


@dataclass
class TwilioChannel:
    service: Service
    provider: PhoneProvider
    links: Links
    number: str | None
    once: Once = field(init=False)

    def __post_init__(self) -> None:
        self.once = Once(self.service.store)

    @property
    def engine(self) -> Engine:
        return self.service.engine

    async def responder_by_phone(self, phone: str) -> Responder | None:
        """The responder whose own phone this is (responders are few; a scan is fine)."""
        for responder in await self.service.store.list_responders():
            if same_number(responder.phone, phone):
                return responder
        return None

    async def held_by(self, responder_id: str) -> list[Contact]:
        """Open contacts this responder has accepted, oldest first."""
        store = self.service.store
        contacts = await store.get_contacts(await store.open_contacts())
        return [c for c in contacts if c.responder == responder_id and c.status in HELD]


CHANNEL: web.AppKey[TwilioChannel] = web.AppKey("twilio_channel", TwilioChannel)


def uses_phone(responder: Responder) -> bool:
    """Responders who work from their phone get conversations relayed to it."""
    return bool(responder.phone) and responder.notify_via in ("sms", "voice")
