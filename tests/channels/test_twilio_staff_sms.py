"""Staff tools by SMS from the responder's own phone: presence, breaks, the guided close, feedback."""

from __future__ import annotations

from router.channels.twilio.sms import short_code
from router.models import ContactStatus
from tests.channels.conftest import PERSON, PRIMARY, SUPERVISOR, TwilioRig


async def held(rig: TwilioRig, body: str = "I need to talk to someone") -> str:
    """A person texts; the primary accepts and answers from their phone. The contact's id."""
    await rig.twilio.incoming_sms(PERSON, body)
    contact = await rig.only_open()
    await rig.twilio.incoming_sms(PRIMARY, "1")
    await rig.twilio.incoming_sms(PRIMARY, "I'm here with you.")
    return contact.id


async def say(rig: TwilioRig, text: str) -> str:
    reply = await rig.twilio.incoming_sms(PRIMARY, text)
    [answer] = reply.texts("Message")
    return answer


async def test_away_back_and_break_from_the_phone(rig: TwilioRig) -> None:
    store = rig.service.store
    assert "no offers" in await say(rig, "away")
    assert (await store.presence())["r-primary"] == "away"
    assert "back" in await say(rig, "BACK")
    assert (await store.presence())["r-primary"] == "available"
    answer = await say(rig, "BREAK 20")
    assert answer.startswith("On a break until 10:20")  # 15:20 UTC, in the hotline's New York time
    state = await rig.service.engine.responder_state("r-primary")
    assert state.presence == "away" and state.break_until is not None
    await rig.tick(20 * 60, step=60)
    assert (await store.presence())["r-primary"] == "available"


async def test_close_by_sms_completes_the_mandated_report(rig: TwilioRig) -> None:
    cid = await held(rig, "I'm 15 and my stepdad hits me")
    code = short_code(cid)
    assert "minor" in (await rig.contact(cid)).flags
    first = await say(rig, "CLOSE support_given")
    assert first.startswith(f"[{code}] Closing as support_given. Still needed: report: what, report: to,")
    assert "What was reported" in first and "NONE <reason>" in first and "ABORT" in first
    assert "To whom" in await say(rig, "Physical abuse by a step-parent")
    assert "When was the report made" in await say(rig, "County CPS, intake worker J. Doe")
    assert "(optional: SKIP)" in await say(rig, "2026-03-02 10:05")
    assert "Was the person told" in await say(rig, "skip")
    # nothing is closed until the checklist is complete
    assert (await rig.contact(cid)).status == ContactStatus.answered
    assert await say(rig, "Yes, and why") == f"[{code}] Closed: support_given. Thank you."
    contact = await rig.contact(cid)
    assert contact.status == ContactStatus.closed
    assert contact.outcome["mandated_report"] == {
        "what": "Physical abuse by a step-parent",
        "to": "County CPS, intake worker J. Doe",
        "when": "2026-03-02 10:05",
        "client_informed": "Yes, and why",
    }
    assert "sms_close_draft" not in contact.outcome
    # the person's words never went to the person: the dialogue is between the hotline and staff
    await rig.drain()
    assert all("County CPS" not in m["body"] for m in rig.api.messages if m["to"] == PERSON)


async def test_referral_is_chosen_from_the_directory_by_number(rig: TwilioRig) -> None:
    cid = await held(rig)
    ask = await say(rig, "CLOSE referral")
    assert "1 NHTH National Human Trafficking Hotline" in ask and "2 NDVH" in ask
    wrong = await say(rig, "9")
    assert "'9' is not in the partner directory" in wrong
    assert await say(rig, "2") == f"[{short_code(cid)}] Closed: referral. Thank you."
    contact = await rig.contact(cid)
    assert contact.outcome["referral"] == {"partner": "ndvh"}


async def test_abort_stops_a_close(rig: TwilioRig) -> None:
    cid = await held(rig)
    await say(rig, "CLOSE referral")
    assert await say(rig, "ABORT") == "Stopped: nothing was closed."
    contact = await rig.contact(cid)
    assert contact.status == ContactStatus.answered and "sms_close_draft" not in contact.outcome
    # texts go to the person again once no close is under way
    await rig.twilio.incoming_sms(PRIMARY, "Still there?")
    await rig.drain()
    assert rig.api.texts_to(PERSON)[-1] == "Still there?"


async def test_feedback_is_asked_and_counted_without_a_contact(rig: TwilioRig) -> None:
    cid = await held(rig)
    await say(rig, "CLOSE support_given")
    await rig.drain()
    question = rig.api.texts_to(PERSON)[-1]
    assert "did this conversation help" in question
    reply = await rig.twilio.incoming_sms(PERSON, "4")
    assert reply.texts("Message") == ["Thank you. Your answer is counted without your number or name."]
    assert await rig.service.store.open_contacts() == []  # an answer is not a new contact
    report = await rig.service.engine.get_contact(cid)
    assert "feedback_asked" in [e.event for e in report.timeline]
    timers = [t.id for t in await rig.service.store.timers() if t.id.startswith("tally:feedback:")]
    assert len(timers) == 1 and timers[0].startswith("tally:feedback:2026-03-02:4:")


async def test_accepted_text_never_answered_goes_back_and_the_responder_is_told(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "I need to talk to someone")
    contact = await rig.only_open()
    await rig.twilio.incoming_sms(PRIMARY, "1")
    await rig.tick(180, step=30)
    contact = await rig.contact(contact.id)
    assert "answer_timeout" in [e.event for e in contact.timeline]
    assert contact.status in (ContactStatus.queued, ContactStatus.offered)
    assert contact.responder is None
    await rig.drain()
    told = [t for t in rig.api.texts_to(PRIMARY) if "went back to the queue" in t]
    assert told == [
        "The sms contact you accepted was not answered within 3m00s, so it went back to the queue "
        "for someone else. No action needed."
    ]


async def test_a_hard_contact_pages_the_supervisor_for_a_debrief(rig: TwilioRig) -> None:
    cid = await held(rig, "they took my passport and I can't leave")
    assert "trafficking" in (await rig.contact(cid)).flags
    await say(rig, "CLOSE support_given")
    await rig.drain()
    assert [t for t in rig.api.texts_to(SUPERVISOR) if "Debrief" in t] == [
        "SafetyNet Debrief: r-primary just closed a text contact, priority high (trafficking). "
        "Please check in with them now (Standard 31) and record the debrief."
    ]
    assert any("BREAK" in t for t in rig.api.texts_to(PRIMARY))
    assert "debrief_offered" in [e.event for e in (await rig.contact(cid)).timeline]


async def test_none_records_why_no_report_is_due(rig: TwilioRig) -> None:
    cid = await held(rig, "I'm 15 and my stepdad hits me")
    await say(rig, "CLOSE support_given")
    assert "Say why" in await say(rig, "none")
    assert (
        await say(rig, "NONE: the caller is 45, a typo")
        == f"[{short_code(cid)}] Closed: support_given. Thank you."
    )
    report = (await rig.contact(cid)).outcome["mandated_report"]
    assert report == {"not_required": "the caller is 45, a typo"}
