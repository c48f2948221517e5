"""Through signed Twilio webhooks: the danger, at-capacity and after-hours texts, the voice
danger key, the at-capacity hold, and FLAG from a responder's phone."""

from __future__ import annotations

from pathlib import Path

from protocols import default_protocol
from router.channels.twilio.sms import short_code
from router.flagging import add_flags
from router.models import ContactIn, ContactStatus
from tests.channels.conftest import CALLER, HOTLINE, PERSON, PRIMARY, SUPERVISOR, RigFactory, TwilioRig

AFTER_HOURS = """
name: closed-at-night
timezone: {zone}
languages: [en]
channels:
  sms:
    open_hours: [{{start: "09:00", end: "17:00"}}]
    auto_reply: {{en: "Day reply."}}
    after_hours: {{en: "Night reply: we are closed, a person will text you when we open."}}
"""


async def test_danger_text_gets_the_danger_reply_not_the_auto_reply(rig: TwilioRig) -> None:
    reply = await rig.twilio.incoming_sms(PERSON, "he has a gun and is outside my door")
    protocol = rig.service.engine.protocol
    assert reply.texts("Message") == [protocol.text("sms", "danger", None)]
    contact = await rig.only_open()
    assert contact.parallel and contact.priority.value == "critical"


async def test_at_capacity_text_once_enough_people_wait_and_nobody_is_free(rig: TwilioRig) -> None:
    for rid in ("r-primary", "r-backup", "r-super"):
        await rig.service.engine.set_presence(rid, "away")
    protocol = rig.service.engine.protocol
    threshold = protocol.channels["sms"].at_capacity_waiting
    assert threshold == 5
    replies = []
    for i in range(threshold):
        reply = await rig.twilio.incoming_sms(f"+1555777{i:04d}", "hello, is anyone there")
        replies.append(reply.texts("Message"))
    auto, busy = protocol.text("sms", "auto_reply", None), protocol.text("sms", "at_capacity", None)
    assert replies == [[auto]] * (threshold - 1) + [[busy]]


async def test_after_hours_sms_in_two_time_zones(make_rig: RigFactory, tmp_path: Path) -> None:
    # The rig's clock is 15:00 UTC: 10:00 in New York (open), 00:00 in Tokyo (closed).
    for zone, expected in (("America/New_York", "Day reply."), ("Asia/Tokyo", "Night reply")):
        path = tmp_path / f"{zone.replace('/', '-')}.yaml"
        path.write_text(AFTER_HOURS.format(zone=zone))
        rig = await make_rig(protocol=str(path))
        await rig.staff()
        reply = await rig.twilio.incoming_sms(PERSON, "hello")
        [text] = reply.texts("Message")
        assert text.startswith(expected)
        contact = await rig.only_open()
        # still queued, offered and timed after hours
        assert contact.status == ContactStatus.offered
        assert ("after_hours" in contact.flags) is (zone == "Asia/Tokyo")
        assert f"breach:{contact.id}" in {t.id for t in await rig.service.store.timers()}


async def test_caller_presses_the_danger_key_everyone_is_called_supervisor_paged(rig: TwilioRig) -> None:
    key = default_protocol().channels["voice"].danger_key
    assert key == "9"
    call_sid, first = await rig.twilio.incoming_call(CALLER)
    assert "If you are in danger right now, press 9." in first.texts("Say")
    contact = await rig.only_open()
    assert not contact.parallel
    pressed = await rig.twilio.post(
        first.attr("Gather", "action"),
        rig.twilio.call_params(call_sid, CALLER, HOTLINE, "in-progress", "inbound", Digits=key),
    )
    assert pressed.first("Enqueue").text == contact.id  # the caller stays in their queue
    flagged = await rig.contact(contact.id)
    assert flagged.parallel and flagged.priority.value == "critical"
    assert "imminent_danger" in flagged.flags
    entry = next(e for e in flagged.timeline if e.event == "flags_added")
    assert (entry.model_extra or {})["by"] == "caller"
    offered = {o.responder for o in await rig.service.engine.offers_for(None, "pending")}
    assert offered == {"r-primary", "r-backup", "r-super"}
    # the supervisor is paged now, by voice and text as the protocol's danger rule says
    await rig.drain()
    [page] = [c["twiml"] for c in rig.api.calls_to(SUPERVISOR) if c["twiml"]]
    assert "SafetyNet DANGER: a voice contact, priority critical" in page and CALLER not in page


async def test_voice_hold_says_the_at_capacity_text_when_all_are_busy(rig: TwilioRig) -> None:
    for rid in ("r-primary", "r-backup", "r-super"):
        await rig.service.engine.set_presence(rid, "away")
    protocol = rig.service.engine.protocol
    replies = []
    for i in range(3):  # default.yaml: voice at_capacity_waiting 3
        sid, reply = await rig.twilio.incoming_call(f"+1555888{i:04d}")
        replies.append((sid, reply.attr("Enqueue", "waitUrl"), f"+1555888{i:04d}"))
    sid, wait_url, caller = replies[-1]
    hold = await rig.twilio.post(
        wait_url, rig.twilio.call_params(sid, caller, HOTLINE, "in-progress", "inbound")
    )
    assert hold.texts("Say") == [protocol.text("voice", "at_capacity", "en")]
    await rig.service.engine.set_presence("r-primary", "available")  # someone frees up: back to hold
    sid, wait_url, caller = replies[0]
    hold = await rig.twilio.post(
        wait_url, rig.twilio.call_params(sid, caller, HOTLINE, "in-progress", "inbound")
    )
    assert hold.texts("Say") == [protocol.text("voice", "hold", "en")]


async def test_flag_minor_by_text_from_the_responders_phone(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "I need to talk")
    await rig.twilio.incoming_sms(PRIMARY, "1")
    contact = await rig.only_open()
    await rig.twilio.incoming_sms(PRIMARY, "Hi, I'm here")
    reply = await rig.twilio.incoming_sms(PRIMARY, "FLAG minor")
    assert reply.texts("Message") == [f"[{short_code(contact.id)}] Flagged: minor."]
    flagged = await rig.contact(contact.id)
    assert "minor" in flagged.flags and flagged.priority.value == "high"
    entry = next(e for e in flagged.timeline if e.event == "flags_added")
    assert (entry.model_extra or {})["by"] == "r-primary"
    bad = await rig.twilio.incoming_sms(PRIMARY, "FLAG nonsense")
    assert bad.texts("Message")[0].startswith("Not flagged: add.0: not a flag of this protocol")
    # the mandated report is now required to close, also from the phone
    closing = await rig.twilio.incoming_sms(PRIMARY, "CLOSE support_given")
    assert "Mandated report:" in closing.texts("Message")[0]  # the guided close asks for it
    assert (await rig.contact(contact.id)).status != ContactStatus.closed


RURAL = Path(__file__).resolve().parents[2] / "protocols" / "examples" / "rural.yaml"
PARTNER_LINE = "+15555550100"  # mountain-crisis's transfer number in rural.yaml


async def test_handoff_flags_travel_with_the_warm_transfer(make_rig: RigFactory) -> None:
    rig = await make_rig(protocol=str(RURAL))
    await rig.staff()
    call_sid, _ = await rig.call_in(CALLER)
    contact = await rig.only_open()
    await add_flags(rig.service.engine, contact.id, ["minor"], None, "r-super")
    await rig.tick(12 * 60)
    [call] = rig.api.calls_to(PARTNER_LINE)
    leg = await rig.twilio.answer(call)
    # rural.yaml keeps the built-in `minor` flag (handoff: true): the partner hears it first
    assert "Flagged: Minor (under 18)." in leg.texts("Say")[0]
    requested = next(
        e for e in (await rig.contact(contact.id)).timeline if e.event == "partner_transfer_requested"
    )
    assert (requested.model_extra or {})["flags"] == ["minor"]
    # the caller hears the protocol's voice partner_handoff text as they are joined
    said = await rig.twilio.dequeue(leg.first("Queue").get("url") or "", call_sid, CALLER, call["sid"])
    assert said.texts("Say") == [
        "We are connecting you to Mountain Region Crisis Line, our partner line. Please stay on the line."
    ]
    assert (await rig.contact(contact.id)).status == ContactStatus.handed_off


async def test_offer_text_carries_the_interpreter_line_after_the_fallback(rig: TwilioRig) -> None:
    engine = rig.service.engine
    fallback = engine.protocol.language_fallback
    assert fallback is not None and fallback.interpreter
    await engine.intake(
        ContactIn.model_validate({"channel": "sms", "from": PERSON, "body": "bonjour", "language": "fr"})
    )
    await rig.drain()
    assert rig.api.texts_to(PRIMARY) == []  # nobody on call speaks French
    await rig.tick(fallback.after.total_seconds())
    [offer] = rig.api.texts_to(PRIMARY)
    assert f"Interpreter: {fallback.interpreter}" in offer and PERSON not in offer
