"""The voice danger key: pressed at the greeting, the call is routed as imminent danger."""

from __future__ import annotations

import structlog
from aiohttp import web

from router.channels.twilio import twiml
from router.channels.twilio.channel import TwilioChannel
from router.errors import RouterError
from router.flagging import add_flags
from router.models import Contact

log = structlog.get_logger("router.channels.twilio")
DANGER_WORDS = {
    "en": "If you are in danger right now, press {key}.",
    "es": "Si está en peligro ahora mismo, oprima {key}.",
    "fr": "Si vous êtes en danger en ce moment, tapez {key}.",
}


def danger_key(ch: TwilioChannel) -> str | None:
    settings = ch.engine.protocol.channels.get("voice")
    return settings.danger_key if settings else None


def danger_words(language: str, key: str) -> str:
    return DANGER_WORDS.get(language.split("-")[0], DANGER_WORDS["en"]).format(key=key)


async def danger_pressed(ch: TwilioChannel, contact: Contact) -> web.Response:
    """The caller pressed the danger key: imminent danger, offered to everyone on call, the
    supervisor paged now; the danger text (if the protocol has one) while they wait."""
    try:
        contact = await add_flags(
            ch.engine, contact.id, list(ch.engine.protocol.imminent_danger.flags)[:1], None, "caller"
        )
    except RouterError:
        log.info("danger_key_late", contact_id=contact.id)  # answered meanwhile
    log.warning("danger_key", contact_id=contact.id)
    protocol = ch.engine.protocol
    language = contact.language or protocol.fallback
    return web.Response(
        content_type="application/xml",
        text=twiml.greet_and_enqueue(
            protocol.text("voice", "danger", language),
            language,
            queue=contact.id,
            wait_url=ch.links.url("/hold", contact=contact.id),
            action_url=ch.links.url("/voice/left", contact=contact.id),
        ),
    )
