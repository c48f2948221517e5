"""SMS end to end: a person texts, the on-call responder takes it from their phone, both talk, it closes."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from router import transitions
from router.channels.twilio.sms import short_code, split_sms
from router.models import ContactStatus
from tests.channels.conftest import HOTLINE, PERSON, PRIMARY, TwilioRig

OFFER = "New text contact, priority normal. Reply 1 to accept, 2 to pass."


def no_numbers_crossed(rig: TwilioRig) -> None:
    """Neither side ever sees the other's number: every text is from the hotline, no body carries one."""
    for m in rig.api.messages:
        assert m["from"] == HOTLINE
        assert PERSON not in m["body"] and PRIMARY not in m["body"]


async def test_text_offer_accept_talk_close(rig: TwilioRig) -> None:
    reply = await rig.twilio.incoming_sms(PERSON, "I need to talk to someone")
    assert reply.status == 200
    auto = rig.service.engine.protocol.text("sms", "auto_reply", None)
    assert reply.texts("Message") == [auto]
    contact = await rig.only_open()
    assert contact.channel == "sms" and contact.status == ContactStatus.offered
    await rig.drain()
    assert rig.api.texts_to(PRIMARY) == [OFFER]

    reply = await rig.twilio.incoming_sms(PRIMARY, "1")
    assert reply.status == 200 and reply.texts("Message") == []
    contact = await rig.contact(contact.id)
    assert contact.status == ContactStatus.assigned and contact.responder == "r-primary"
    code = short_code(contact.id)
    await rig.drain()
    accepted = rig.api.texts_to(PRIMARY)[-1]
    assert accepted.startswith(f"[{code}] Accepted") and "Them: I need to talk to someone" in accepted

    await rig.clock.advance(40)
    await rig.twilio.incoming_sms(PRIMARY, "Hi, I'm here with you. Are you safe right now?")
    await rig.drain()
    assert rig.api.texts_to(PERSON) == ["Hi, I'm here with you. Are you safe right now?"]
    contact = await rig.contact(contact.id)
    assert contact.status == ContactStatus.answered
    assert contact.answered_at == rig.clock.now()

    await rig.twilio.incoming_sms(PERSON, "yes, for now")
    await rig.drain()
    assert rig.api.texts_to(PRIMARY)[-1] == f"[{code}] yes, for now"

    reply = await rig.twilio.incoming_sms(PRIMARY, "CLOSE safety_plan made a plan together")
    assert reply.texts("Message") == [f"[{code}] Closed: safety_plan. Thank you."]
    contact = await rig.contact(contact.id)
    assert contact.status == ContactStatus.closed
    assert contact.disposition == "safety_plan" and contact.notes == "made a plan together"
    assert [m.direction for m in contact.messages] == ["in", "out", "in"]
    no_numbers_crossed(rig)


async def test_offer_codes_tell_several_pending_offers_apart(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "first person")
    await rig.twilio.incoming_sms("+15557770002", "second person")
    pending = await rig.service.engine.offers_for("r-primary", "pending")
    assert len(pending) == 2
    first_contact = await rig.service.engine.open_contact_for("sms", PERSON)
    assert first_contact is not None
    offers = sorted(pending, key=lambda o: o.contact_id != first_contact.id)  # first person's first
    await rig.drain()
    texts = rig.api.texts_to(PRIMARY)
    second = short_code(offers[1].id)
    assert texts == [
        OFFER,
        f"New text contact, priority normal. Reply 1 {second} to accept, 2 {second} to pass.",
    ]

    reply = await rig.twilio.incoming_sms(PRIMARY, "1")
    assert "You have 2 offers" in reply.texts("Message")[0]
    assert len(await rig.service.engine.offers_for("r-primary", "pending")) == 2  # nothing guessed

    await rig.twilio.incoming_sms(PRIMARY, f"1 {second.lower()}")
    taken = await rig.contact(offers[1].contact_id)
    assert taken.status == ContactStatus.assigned
    other = await rig.contact(offers[0].contact_id)
    assert other.status == ContactStatus.offered

    reply = await rig.twilio.incoming_sms(PRIMARY, "2")  # one pending left: a bare 2 is clear
    assert reply.texts("Message") == ["Passed. Thank you."]
    assert (await rig.contact(offers[0].contact_id)).status == ContactStatus.queued


async def test_late_reply_to_an_expired_offer_is_told_politely(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "hello?")
    contact = await rig.only_open()
    await rig.tick(61)
    assert await rig.service.engine.offers_for("r-primary", "pending") == []
    reply = await rig.twilio.incoming_sms(PRIMARY, "1")
    assert "already been taken" in reply.texts("Message")[0]
    assert (await rig.contact(contact.id)).status == ContactStatus.queued


async def test_stop_help_and_start_keywords(rig: TwilioRig) -> None:
    reply = await rig.twilio.incoming_sms(PERSON, "HELP")
    texts = reply.texts("Message")
    assert "Reply STOP" in texts[0] and texts[1] == rig.service.engine.protocol.text(
        "sms", "auto_reply", None
    )
    contact = await rig.only_open()  # HELP to a crisis line is someone reaching out
    await rig.twilio.incoming_sms(PRIMARY, "1")

    reply = await rig.twilio.incoming_sms(PERSON, "stop")
    assert reply.texts("Message") == []  # Twilio sends the carrier confirmation itself
    assert (await rig.contact(contact.id)).messages[-1].body == "stop"
    await rig.drain()
    assert rig.api.texts_to(PRIMARY)[-1].endswith("] stop")

    rig.api.opted_out.add(PERSON)  # what Twilio does on STOP: further texts are refused (21610)
    await rig.twilio.incoming_sms(PRIMARY, "Are you still there?")
    await rig.drain()
    assert rig.api.texts_to(PERSON) == []
    assert "Not delivered: they replied STOP" in rig.api.texts_to(PRIMARY)[-1]

    before = await rig.service.store.open_contacts()
    reply = await rig.twilio.incoming_sms("+15557770009", "START")
    assert reply.texts("Message") == []
    assert await rig.service.store.open_contacts() == before


async def test_long_messages_are_split_into_numbered_parts(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "hi")
    await rig.twilio.incoming_sms(PRIMARY, "1")
    words = " ".join(f"word{i}" for i in range(500))  # about 3,900 characters
    await rig.twilio.incoming_sms(PRIMARY, words)
    await rig.drain()
    parts = rig.api.texts_to(PERSON)
    assert len(parts) == 3
    assert all(len(p) <= 1600 for p in parts)
    assert [p.rsplit(" ", 1)[1] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"]
    assert " ".join(p.rsplit(" ", 1)[0] for p in parts) == words


def test_split_never_tears_a_character_cluster() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = family * 600
    parts = split_sms(text, limit=160)
    assert all(len(p) <= 160 for p in parts)
    assert "".join(p.rsplit(" ", 1)[0] for p in parts) == text
    assert split_sms("short") == ["short"]


async def test_a_picture_is_announced_not_relayed(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "hi")
    await rig.twilio.incoming_sms(PRIMARY, "1")
    params = {"From": PERSON, "To": HOTLINE, "Body": "", "NumMedia": "1", "MediaUrl0": "https://x/y.jpg"}
    assert (await rig.twilio.post("/channels/twilio/sms", params)).status == 200
    await rig.drain()
    assert "sent a picture or file" in rig.api.texts_to(PRIMARY)[-1]
    assert "https://x/y.jpg" not in rig.api.texts_to(PRIMARY)[-1]


async def test_a_second_text_joins_the_open_conversation(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "are you there")
    reply = await rig.twilio.incoming_sms(PERSON, "please answer")
    assert reply.texts("Message") == []  # no second auto-reply
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["are you there", "please answer"]


async def test_a_flood_into_one_conversation_is_kept_no_further(
    rig: TwilioRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 3)
    for n in range(3):
        assert (await rig.twilio.incoming_sms(PERSON, f"text {n}")).status == 200
    contact = await rig.only_open()
    with capture_logs() as logs:
        reply = await rig.twilio.incoming_sms(PERSON, "text 3")
    assert reply.status == 200 and reply.texts("Message") == []  # Twilio is answered, nobody texted
    after = await rig.contact(contact.id)
    assert [m.body for m in after.messages] == ["text 0", "text 1", "text 2"]
    assert after.timeline[-1].event == "conversation_full"  # the responder sees it went on
    assert [e["contact_id"] for e in logs if e["event"] == "sms_conversation_full"] == [contact.id]
    assert await rig.only_open() == after  # and no new contact opened for it
