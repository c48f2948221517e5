"""The SMS webhook: people texting the hotline, and responders answering offers and people by phone."""

from __future__ import annotations

import structlog
from aiohttp import web

from router import feedback, wrapup
from router.api.errors import error_response
from router.channels.once import delivery_id, holds
from router.channels.twilio import closing, twiml
from router.channels.twilio.channel import CHANNEL, TwilioChannel
from router.channels.twilio.security import Form
from router.channels.twilio.sms import Command, keyword, parse_command, short_code
from router.errors import RouterError
from router.flagging import add_flags
from router.intake import TooManyContacts
from router.models import Contact, ContactIn, Offer, Presence, Responder
from router.replies import reply_for
from router.transitions import AlreadyReceived, ConversationFull

log = structlog.get_logger("router.channels.twilio")
ATTACHMENT = "[sent a picture or file, which the hotline does not pass on]"
FEEDBACK_THANKS = "Thank you. Your answer is counted without your number or name."
ALREADY_TAKEN = (
    "Thank you for answering. That contact has already been taken, or the offer expired. No action needed."
)


def _reply(*texts: str) -> web.Response:
    return web.Response(text=twiml.messages(*texts), content_type="application/xml")


async def incoming_sms(request: web.Request, form: Form) -> web.StreamResponse:
    ch = request.app[CHANNEL]
    sender, body = form.get("From"), form.get("Body", "")
    if not sender:
        return error_response(422, "missing_fields", "an SMS webhook needs From")
    if not body.strip() and form.get("NumMedia", "0") not in ("", "0"):
        body = ATTACHMENT  # pictures are not relayed (they could identify someone); say one came
    responder = await ch.responder_by_phone(sender)
    sid = form.get("MessageSid")
    if not sid:  # Twilio always sends one; without it there is nothing to recognise a repeat by
        if responder is not None:
            return await responder_text(ch, responder, body)
        return await person_text(ch, sender, body, None)
    delivery = delivery_id("sms", sid)

    async def already() -> bool:
        if responder is not None:
            return False
        return holds(await ch.engine.open_contact_for("sms", sender), delivery, sid)

    async def first_time() -> web.Response:
        if responder is not None:
            return await responder_text(ch, responder, body)
        return await person_text(ch, sender, body, sid)

    reply = await ch.once.run(delivery, already, first_time)
    if reply is None:
        log.info("sms_repeated", delivery=delivery)
        return _reply()  # a repeat: nothing appended, nothing sent again
    return reply


# -- people reaching out -----------------------------------------------------------------------
async def person_text(ch: TwilioChannel, sender: str, body: str, message_sid: str | None) -> web.Response:
    engine = ch.engine
    word = keyword(body)
    contact = await engine.open_contact_for("sms", sender)
    delivery = delivery_id("sms", message_sid) if message_sid else None
    try:
        if word == "opt_out":
            # Twilio answers STOP with the carrier-required confirmation and blocks further texts;
            # an open conversation keeps the word so the responder knows why replies stop.
            if contact is not None:
                await engine.receive_message(contact.id, body.strip(), delivery)
            log.info("sms_opt_out", contact_id=contact.id if contact else None)
            return _reply()
        if word == "opt_in" and contact is None:
            return _reply()  # Twilio confirms START itself; it is not a request for help
        extra = [_help_text(ch)] if word == "help" else []
        if contact is not None:
            await engine.receive_message(contact.id, body, delivery)
            return _reply(*extra)  # an ongoing conversation gets no second auto-reply
    except AlreadyReceived:
        return _reply()  # the same text raced in twice: the first copy is the one kept
    except ConversationFull:
        assert contact is not None
        log.warning("sms_conversation_full", contact_id=contact.id)
        return _reply()  # a flood into one conversation: kept no further, answered with nothing
    key = engine.sender_key("sms", sender)
    if await feedback.take_answer(engine.store, engine.protocol, key, body, engine.clock.now()):
        log.info("feedback_answer")
        return _reply(FEEDBACK_THANKS)
    # HELP to a crisis line is also someone reaching out: it becomes a contact like any text.
    try:
        contact = await engine.intake(
            ContactIn(channel="sms", sender=sender, body=body or None, ref=message_sid)
        )
    except TooManyContacts:
        log.warning("sms_sender_over_limit")
        return _reply()  # no queue entry, and no text back to a number flooding the line
    # As dispatch left it: still queued means nobody could take it (the at-capacity text).
    current = await ch.service.store.get_contact(contact.id) or contact
    auto = (
        await reply_for(engine.protocol, ch.service.store, current, "auto_reply") or twiml.DEFAULT_AUTO_REPLY
    )
    await engine.note(contact.id, "acknowledged", via="auto_reply")  # Standard 29: on record
    return _reply(*extra, auto)


def _help_text(ch: TwilioChannel) -> str:
    p = ch.engine.protocol
    text = p.messages.get("sms_help") or twiml.DEFAULT_HELP
    return text.replace("{hotline}", p.hotline or "This hotline")


# -- responders answering from their phone -------------------------------------------------------
async def responder_text(ch: TwilioChannel, responder: Responder, body: str) -> web.Response:
    held = await ch.held_by(responder.id)
    pending = await ch.engine.offers_for(responder.id, "pending")
    contact_codes = {short_code(c.id): c for c in held}
    offer_codes = {short_code(o.id): o for o in pending}
    cmd = parse_command(body, set(contact_codes) | set(offer_codes))
    log.info("responder_text", responder=responder.id, command=cmd.kind)
    if cmd.kind == "help":
        return _reply(twiml.RESPONDER_HELP)
    drafting = [c for c in held if closing.draft_of(c) is not None]
    # A bare number while the close asks which partner picks from its list, not an offer.
    bare = cmd.kind in ("accept", "decline") and cmd.code is None
    if bare and drafting and closing.next_step(ch.engine.protocol, drafting[0]) == "referral":
        cmd = Command("say", body=body.strip())
    if cmd.kind in ("accept", "decline"):
        return await _answer_offer(ch, responder, cmd, pending, offer_codes)
    if cmd.kind in ("away", "back", "break"):
        return await _presence(ch, responder, cmd)
    if cmd.kind == "abort":
        for c in drafting:
            await closing.save(ch.engine, c.id, None, "close_aborted")
        return _reply("Stopped: nothing was closed." if drafting else "Nothing to stop.")
    if cmd.kind == "close":
        return await _close(ch, responder, cmd, held, contact_codes)
    if cmd.kind == "flag":
        return await _flag(ch, responder, cmd, held, contact_codes)
    if drafting and (cmd.code is None or cmd.code == short_code(drafting[0].id)):
        # A close under way: this text answers its question, it is not for the person.
        draft = closing.draft_of(drafting[0])
        assert draft is not None
        return _reply(await closing.step(ch.engine, drafting[0], draft, responder.id, cmd.body))
    return await _say(ch, responder, cmd, held, contact_codes)


async def _presence(ch: TwilioChannel, responder: Responder, cmd: Command) -> web.Response:
    engine = ch.engine
    if cmd.kind == "break":
        try:
            until = await engine.take_break(responder.id, cmd.minutes)
        except RouterError as exc:
            return _reply(f"No break: {exc.message}")
        local = engine.protocol.local(until).strftime("%H:%M")
        return _reply(f"On a break until {local}: no offers until then. BACK to end it sooner.")
    status: Presence = "away" if cmd.kind == "away" else "available"
    await engine.set_presence(responder.id, status)
    if status == "away":
        return _reply("You are away: no offers until you text BACK.")
    return _reply("You are back: offers will come to this phone.")


async def _answer_offer(
    ch: TwilioChannel, responder: Responder, cmd: Command, pending: list[Offer], codes: dict[str, Offer]
) -> web.Response:
    if cmd.code:
        offer = codes.get(cmd.code)
    elif len(pending) == 1:
        offer = pending[0]
    elif not pending:
        offer = None
    else:
        choices = []
        for o in pending:
            contact = await ch.service.store.get_contact(o.contact_id)
            what = twiml.describe(contact) if contact else o.channel
            choices.append(f"{short_code(o.id)}: {what}")
        verb = "1" if cmd.kind == "accept" else "2"
        return _reply(f"You have {len(pending)} offers. Reply {verb} and the code: " + "; ".join(choices))
    if offer is None:
        log.info("late_offer_reply", responder=responder.id)
        return _reply(ALREADY_TAKEN)
    try:
        if cmd.kind == "decline":
            await ch.engine.decline(offer.id, by=responder.id)
            return _reply("Passed. Thank you.")
        await ch.engine.accept(offer.id, by=responder.id)
    except RouterError:
        log.info("late_offer_reply", responder=responder.id, offer_id=offer.id)
        return _reply(ALREADY_TAKEN)
    return _reply()  # the relay texts the conversation (or calls, for a caller) right away


def _pick(
    cmd: Command, held: list[Contact], codes: dict[str, Contact], text_only: bool
) -> tuple[Contact | None, str | None]:
    """The contact a command is about, or what to tell the responder when it is unclear."""
    if cmd.code:
        return codes.get(cmd.code), None
    candidates = [c for c in held if not text_only or c.channel != "voice"]
    if len(candidates) == 1:
        return candidates[0], None
    if not candidates:
        return None, "You hold no open conversation here. Reply HELP for commands."
    listing = "; ".join(f"{short_code(c.id)}: {twiml.describe(c)}" for c in candidates)
    return None, f"You hold {len(candidates)} conversations. Start with the code: {listing}"


async def _close(
    ch: TwilioChannel, responder: Responder, cmd: Command, held: list[Contact], codes: dict[str, Contact]
) -> web.Response:
    contact, problem = _pick(cmd, held, codes, text_only=False)
    if contact is None:
        return _reply(problem or "No such conversation.")
    p = ch.engine.protocol
    dispositions = list(p.dispositions)
    if wrapup.is_follow_up(contact):
        dispositions += [d for d in wrapup.follow_up_dispositions(p) if d not in dispositions]
    if not cmd.disposition or cmd.disposition not in dispositions:
        return _reply(f"Close with one of: {', '.join(dispositions)}. Example: CLOSE {dispositions[0]}")
    # The words after the disposition fill what they can (the partner, the safety plan, notes);
    # the dialogue then asks for anything else the protocol requires, one text at a time.
    draft = closing.start(p, contact, cmd.disposition, cmd.notes)
    return _reply(await closing.step(ch.engine, contact, draft, responder.id, None))


async def _flag(
    ch: TwilioChannel, responder: Responder, cmd: Command, held: list[Contact], codes: dict[str, Contact]
) -> web.Response:
    contact, problem = _pick(cmd, held, codes, text_only=False)
    if contact is None:
        return _reply(problem or "No such conversation.")
    names = cmd.body.split()
    if not names:
        known = ", ".join(sorted(ch.engine.protocol.flags))
        return _reply(f"Flag with one of: {known}. Example: FLAG minor")
    try:
        await add_flags(ch.engine, contact.id, names, None, responder.id)
    except RouterError as exc:
        return _reply(f"Not flagged: {exc.message}")
    return _reply(f"[{short_code(contact.id)}] Flagged: {', '.join(names)}.")


async def _say(
    ch: TwilioChannel, responder: Responder, cmd: Command, held: list[Contact], codes: dict[str, Contact]
) -> web.Response:
    contact, problem = _pick(cmd, held, codes, text_only=True)
    if contact is None:
        return _reply(problem or "No such conversation.")
    if not cmd.body:
        return _reply("Nothing to send: write the message after the code.")
    try:
        await ch.engine.send_message(contact.id, cmd.body, responder.id)
    except RouterError as exc:
        return _reply(f"Not sent: {exc.message}")
    return _reply()  # the relay delivers it to the person from the hotline number
