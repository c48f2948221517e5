"""Voice webhooks: callers in, the hold loop, offer calls with keypress, the bridge, status callbacks."""

from __future__ import annotations

import contextlib

import structlog
from aiohttp import web

from protocols import TextKind
from router.api.errors import error_response
from router.channels.once import delivery_id, holds
from router.channels.twilio import twiml
from router.channels.twilio.channel import CHANNEL, ON_THE_LINE, TwilioChannel
from router.channels.twilio.danger import danger_key, danger_pressed, danger_words
from router.channels.twilio.notifier import NOTIFIER, TwilioNotifier
from router.channels.twilio.security import Form
from router.channels.twilio.sms import short_code
from router.errors import RouterError
from router.intake import TooManyContacts
from router.models import Contact, ContactIn, ContactStatus, OfferStatus
from router.replies import is_at_capacity

log = structlog.get_logger("router.channels.twilio")
# Twilio's final call statuses that mean nobody was reached.
UNREACHED = frozenset({"busy", "no-answer", "failed", "canceled"})
ENDED = UNREACHED | {"completed"}
OVER_LIMIT = (
    "This number has called many times in the last hour. Please call again later; "
    "if you are in danger now, call 911."
)
MENU_WORDS = {
    "en": "For English, press {n}.",
    "es": "Para español, oprima {n}.",
    "fr": "Pour le français, tapez {n}.",
}


def _xml(body: str) -> web.Response:
    return web.Response(text=body, content_type="application/xml")


async def incoming_call(request: web.Request, form: Form) -> web.StreamResponse:
    """A person calls: the contact is made at once, then greeting, (language menu), own queue."""
    ch = request.app[CHANNEL]
    protocol = ch.engine.protocol
    call_sid, caller = form.get("CallSid"), form.get("From")
    if not call_sid or not caller:
        return error_response(422, "missing_fields", "a voice webhook needs CallSid and From")
    existing = await ch.engine.open_contact_for("voice", caller)
    if existing is not None and existing.ref == call_sid:
        contact = existing  # Twilio retried the webhook: the same call is the same contact
    else:
        delivery = delivery_id("voice", call_sid)

        async def already() -> bool:
            return holds(await ch.engine.open_contact_for("voice", caller), delivery, call_sid)

        try:
            made = await ch.once.run(
                delivery,
                already,
                lambda: ch.engine.intake(ContactIn(channel="voice", sender=caller, ref=call_sid)),
            )
        except TooManyContacts:
            log.warning("voice_caller_over_limit")
            return _xml(twiml.say_and_hang_up(OVER_LIMIT))
        if made is None:  # a repeat: the first copy made the contact (open or not, it exists)
            again = await ch.engine.open_contact_for("voice", caller)
            if again is None or again.ref != call_sid:
                return _xml(twiml.empty_voice())
            made = again
        contact = made
    kind: TextKind = "greeting" if protocol.is_open("voice", ch.engine.clock.now()) else "after_hours"
    language = contact.language or protocol.fallback
    greeting = (
        protocol.text("voice", kind, language)
        or protocol.text("voice", "greeting", language)
        or twiml.DEFAULT_GREETING
    )
    menu: list[tuple[str, str]] | None = None
    if len(protocol.languages) > 1:
        menu = [
            (MENU_WORDS.get(lang.split("-")[0], "For {lang}, press {n}.").format(n=i, lang=lang), lang)
            for i, lang in enumerate(protocol.languages, 1)
        ]
    key = danger_key(ch)
    if key is not None:
        # Standard 28: the caller can say "danger now" with one key, in every menu language.
        spoken = protocol.languages if menu else [language]
        menu = [*(menu or []), *((danger_words(lang, key), lang) for lang in spoken)]
    return _xml(
        twiml.greet_and_enqueue(
            greeting,
            language,
            queue=contact.id,
            wait_url=ch.links.url("/hold", contact=contact.id),
            action_url=ch.links.url("/voice/left", contact=contact.id),
            menu=menu,
            menu_url=ch.links.url("/voice/language", contact=contact.id),
        )
    )


async def language_chosen(request: web.Request, form: Form) -> web.StreamResponse:
    """The caller pressed a key at the language menu: greet and hold them in that language."""
    ch = request.app[CHANNEL]
    protocol = ch.engine.protocol
    contact = await ch.service.store.get_contact(request.query.get("contact", ""))
    if contact is None or not contact.is_unanswered:
        return _xml(twiml.empty_voice())
    digits = form.get("Digits", "")
    if digits and digits == danger_key(ch):
        return await danger_pressed(ch, contact)
    pick = int(digits) if digits.isdigit() else 0
    language = protocol.languages[pick - 1] if 1 <= pick <= len(protocol.languages) else protocol.fallback
    # Routing follows the choice: from now on only someone who speaks it is offered the call.
    try:
        await ch.engine.set_language(contact.id, language)
    except RouterError:
        log.info("caller_language_late", contact_id=contact.id)  # answered meanwhile: nothing to do
    log.info("caller_language", contact_id=contact.id, language=language)
    greeting = None if language == protocol.fallback else protocol.text("voice", "greeting", language)
    return _xml(
        twiml.greet_and_enqueue(
            greeting,
            language,
            queue=contact.id,
            wait_url=ch.links.url("/hold", contact=contact.id, lang=language),
            action_url=ch.links.url("/voice/left", contact=contact.id),
        )
    )


async def hold(request: web.Request, form: Form) -> web.StreamResponse:
    """The waitUrl: reassure at the protocol's interval for as long as the caller waits."""
    ch = request.app[CHANNEL]
    contact = await ch.service.store.get_contact(request.query.get("contact", ""))
    if contact is None or not contact.is_unanswered:
        return _xml(twiml.leave_queue())
    protocol = ch.engine.protocol
    interval = protocol.hold_interval("voice")
    seconds = int(interval.total_seconds()) if interval else twiml.DEFAULT_HOLD_S
    language = request.query.get("lang") or contact.language
    if language not in protocol.languages:
        language = protocol.fallback
    # All busy and the queue as long as the protocol says: the at-capacity text instead.
    busy = await is_at_capacity(protocol, ch.service.store, contact)
    text = (busy and protocol.text("voice", "at_capacity", language)) or None
    text = text or protocol.text("voice", "hold", language) or twiml.DEFAULT_HOLD
    again = ch.links.url("/hold", contact=contact.id, lang=request.query.get("lang", ""))
    return _xml(twiml.hold(text, language, seconds, again))


async def left_queue(request: web.Request, form: Form) -> web.StreamResponse:
    """The caller left the queue: hung up (abandoned), or the queue failed them."""
    ch = request.app[CHANNEL]
    result = form.get("QueueResult", "")
    contact = await ch.service.store.get_contact(request.query.get("contact", ""))
    if (
        contact is not None
        and contact.is_unanswered
        and result in ("hangup", "queue-full", "error", "system-error")
    ):
        await _abandon(ch, contact, f"queue_{result}")
    if result in ("queue-full", "error", "system-error"):
        return _xml(
            twiml.say_and_hang_up(
                "We are sorry, we could not hold your call. Please call again, or text this number."
            )
        )
    return _xml(twiml.empty_voice())


async def _abandon(ch: TwilioChannel, contact: Contact, why: str) -> None:
    try:
        await ch.engine.abandon(contact.id)
        log.info("caller_left", contact_id=contact.id, why=why)
    except RouterError:
        pass  # already answered or closed by a concurrent callback: nothing to do


async def offer_call(request: web.Request, form: Form) -> web.StreamResponse:
    """The responder picked up our offer call: whisper what it is, wait for a key."""
    ch = request.app[CHANNEL]
    offer_id = request.query.get("offer", "")
    offer = await ch.service.store.get_offer(offer_id)
    contact = await ch.service.store.get_contact(offer.contact_id) if offer else None
    if offer is None or contact is None or offer.status != OfferStatus.pending:
        return _xml(twiml.say_and_hang_up(ALREADY_TAKEN))
    return _xml(
        twiml.whisper_gather(twiml.offer_whisper(contact), ch.links.url("/offer/key", offer=offer_id))
    )


ALREADY_TAKEN = "Thank you. This contact has already been taken, or the offer has expired. Goodbye."


async def offer_key(request: web.Request, form: Form) -> web.StreamResponse:
    """1 accepts (and, for a caller, bridges on this very call), 2 passes."""
    ch = request.app[CHANNEL]
    offer_id = request.query.get("offer", "")
    offer = await ch.service.store.get_offer(offer_id)
    if offer is None:
        return _xml(twiml.say_and_hang_up(ALREADY_TAKEN))
    digits = form.get("Digits", "")
    if digits == "2":
        with contextlib.suppress(RouterError):  # already gone: passing on it is what happened anyway
            await ch.engine.decline(offer_id, by=offer.responder)
        return _xml(twiml.say_and_hang_up("Passed. Thank you."))
    if digits != "1":
        return await offer_call(request, form)
    token = ON_THE_LINE.set(offer_id)
    try:
        contact = await ch.engine.accept(offer_id, by=offer.responder)
    except RouterError:
        log.info("late_accept", offer_id=offer_id, responder=offer.responder)
        return _xml(twiml.say_and_hang_up(ALREADY_TAKEN))
    finally:
        ON_THE_LINE.reset(token)
    if contact.channel == "voice":
        return _xml(_bridge(ch, contact))
    return _xml(
        twiml.say_and_hang_up(
            "Accepted. The conversation is on its way to you by text. "
            f"Its code is {' '.join(short_code(contact.id))}."
        )
    )


def _bridge(ch: TwilioChannel, contact: Contact) -> str:
    if contact.callback_for:
        # A callback task: nobody is waiting in a queue, so dial the person from the hotline.
        return twiml.call_back(
            "Calling the person back now.",
            contact.sender,
            connect_url=ch.links.url("/connect", contact=contact.id),
            caller_id=ch.number,
            status_url=ch.links.url("/bridge/ended", contact=contact.id),
        )
    return twiml.bridge(
        "Connecting you to the caller now.",
        queue=contact.id,
        connect_url=ch.links.url("/connect", contact=contact.id),
        caller_id=ch.number,
        status_url=ch.links.url("/bridge/ended", contact=contact.id),
    )


async def bridge_call(request: web.Request, form: Form) -> web.StreamResponse:
    """Our call to a responder who accepted elsewhere (text, console) was answered: join them."""
    ch = request.app[CHANNEL]
    contact = await ch.service.store.get_contact(request.query.get("contact", ""))
    if contact is None or contact.status != ContactStatus.assigned:
        return _xml(twiml.say_and_hang_up("The caller is no longer waiting. Thank you."))
    return _xml(_bridge(ch, contact))


async def connect(request: web.Request, form: Form) -> web.StreamResponse:
    """Twilio runs this on the caller's leg as it leaves the queue to join the responder:
    the bridge is up, so the contact is answered now."""
    ch = request.app[CHANNEL]
    contact_id = request.query.get("contact", "")
    try:
        await ch.engine.answered(contact_id, "bridged")
    except RouterError as exc:
        log.warning("bridge_not_recorded", contact_id=contact_id, error=type(exc).__name__)
    return _xml(twiml.empty_voice())


async def bridge_ended(request: web.Request, form: Form) -> web.StreamResponse:
    """The responder's <Dial> ended: remind them how to close."""
    contact_id = request.query.get("contact", "")
    log.info("bridge_ended", contact_id=contact_id, dial_status=form.get("DialCallStatus"))
    code = " ".join(short_code(contact_id))
    return _xml(
        twiml.say_and_hang_up(f"The call has ended. Text CLOSE {code}, then the disposition, to close it.")
    )


async def status(request: web.Request, form: Form) -> web.StreamResponse:
    """Call status callbacks: the hotline number's own (caller hung up), and our outbound calls."""
    ch = request.app[CHANNEL]
    call_status = form.get("CallStatus", "")
    q = request.query
    if call_status not in ENDED:
        return web.Response(status=204)
    if "offer" in q:
        await _offer_call_ended(ch, request.app[NOTIFIER], q["offer"], call_status)
    elif "page" in q:
        await _page_call_ended(
            ch,
            request.app[NOTIFIER],
            q["page"],
            q.get("responder", ""),
            q.get("reason", "escalation"),
            call_status,
        )
    elif "partner_call" in q:
        if call_status in UNREACHED:
            # The partner did not pick up: the caller is still in our queue, still escalating.
            log.error("partner_transfer_unanswered", contact_id=q["partner_call"], call_status=call_status)
    elif "bridge" in q:
        if call_status in UNREACHED:
            # The responder accepted but never picked up the bridge call: the caller goes back
            # to their place in the queue (deadline unchanged) for the next responder.
            log.error("bridge_call_unanswered", contact_id=q["bridge"], call_status=call_status)
            with contextlib.suppress(RouterError):  # answered or ended meanwhile
                await ch.engine.release(q["bridge"], "bridge_call_unanswered")
    else:
        caller, call_sid = form.get("From"), form.get("CallSid")
        contact = await ch.engine.open_contact_for("voice", caller) if caller else None
        if contact is not None and contact.ref == call_sid and contact.is_unanswered:
            await _abandon(ch, contact, f"call_{call_status}")
    return web.Response(status=204)


async def _offer_call_ended(
    ch: TwilioChannel, notifier: TwilioNotifier, offer_id: str, call_status: str
) -> None:
    """Nobody picked up the offer call: offer the same by text while it is still pending."""
    if call_status not in UNREACHED:
        return
    store = ch.service.store
    offer = await store.get_offer(offer_id)
    if offer is None or offer.status != OfferStatus.pending:
        return
    responder = await store.get_responder(offer.responder)
    contact = await store.get_contact(offer.contact_id)
    if responder is None or contact is None or not responder.phone:
        return
    log.warning(
        "notify_fallback",
        kind="offer",
        method="voice",
        next="sms",
        offer_id=offer_id,
        call_status=call_status,
    )
    try:
        await notifier.send_offer("sms", responder, offer, contact)
    except Exception as exc:  # a fallback that fails is logged; the offer still times out and moves on
        log.error("notify_error", kind="offer", method="sms", error=type(exc).__name__)


async def _page_call_ended(
    ch: TwilioChannel,
    notifier: TwilioNotifier,
    contact_id: str,
    responder_id: str,
    reason: str,
    call_status: str,
) -> None:
    if call_status not in UNREACHED:
        return
    store = ch.service.store
    responder = await store.get_responder(responder_id)
    contact = await store.get_contact(contact_id)
    if responder is None or contact is None or not contact.is_unanswered:
        return
    log.warning(
        "notify_fallback",
        kind=reason,
        method="voice",
        next="sms",
        contact_id=contact_id,
        call_status=call_status,
    )
    try:
        await notifier.send_page("sms", responder, contact, reason)
    except Exception as exc:
        log.error("notify_error", kind=reason, method="sms", error=type(exc).__name__)
