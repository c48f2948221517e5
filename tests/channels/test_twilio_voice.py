"""Voice end to end: the caller waits in a queue, a responder is called, presses 1, and is bridged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from router.models import ContactStatus
from tests.channels.conftest import BACKUP, CALLER, HOTLINE, PRIMARY, SUPERVISOR, RigFactory, TwilioRig
from tests.twilio_fake import Reply


def offer_calls(rig: TwilioRig, number: str) -> list[dict[str, Any]]:
    return [c for c in rig.api.calls_to(number) if c["url"] and "/offer/call" in c["url"]]


async def test_caller_waits_responder_presses_1_and_is_bridged(rig: TwilioRig) -> None:
    call_sid, reply = await rig.twilio.incoming_call(CALLER)  # no key at the menu: straight on
    assert reply.status == 200
    greeting = rig.service.engine.protocol.text("voice", "greeting", "en")
    assert reply.texts("Say") == [
        greeting,
        "For English, press 1.",
        "Para español, oprima 2.",
        "If you are in danger right now, press 9.",
        "Si está en peligro ahora mismo, oprima 9.",
    ]
    contact = await rig.only_open()
    assert contact.ref == call_sid and contact.channel == "voice"
    enqueue = reply.first("Enqueue")
    assert enqueue.text == contact.id
    wait_url, left_url = enqueue.get("waitUrl"), enqueue.get("action")
    assert wait_url and left_url

    # The hold loop reassures at the protocol's interval and asks again.
    hold = await rig.twilio.post(
        wait_url, rig.twilio.call_params(call_sid, CALLER, HOTLINE, "in-progress", "inbound")
    )
    assert hold.texts("Say") == [rig.service.engine.protocol.text("voice", "hold", None)]
    assert int(hold.attr("Pause", "length")) > 0
    assert hold.texts("Redirect") == [wait_url]

    # A voice contact is offered by a call, whatever the responder's usual method.
    await rig.drain()
    [call] = offer_calls(rig, PRIMARY)
    assert call["from"] == HOTLINE
    whisper = await rig.twilio.answer(call)
    assert "New voice contact, priority normal" in whisper.texts("Say")[0]
    assert CALLER not in whisper.text
    gather_action = whisper.attr("Gather", "action")

    await rig.clock.advance(20)
    bridge = await rig.twilio.press(gather_action, call, "1")
    assert (await rig.contact(contact.id)).status == ContactStatus.assigned
    assert bridge.attr("Dial", "callerId") == HOTLINE
    queue = bridge.first("Queue")
    assert queue.text == contact.id
    connect_url = queue.get("url")
    assert connect_url
    await rig.drain()
    assert rig.api.calls_to(PRIMARY) == [call]  # accepted on this call: no call placed to bridge

    await rig.clock.advance(3)  # the bridge comes up a moment after the key press
    joined = await rig.twilio.dequeue(connect_url, call_sid, CALLER, call["sid"])
    assert joined.status == 200
    answered = await rig.contact(contact.id)
    assert answered.status == ContactStatus.answered
    assert answered.answered_at == rig.clock.now()
    assert answered.timeline[-1].event == "answered"
    await rig.drain()
    assert rig.api.calls_to(PRIMARY) == [call]  # no second call: the offer call itself was bridged

    # The caller hangs up after talking: nothing is abandoned; the responder closes by text.
    await rig.twilio.left_queue(left_url, call_sid, CALLER, "bridged")
    assert (await rig.contact(contact.id)).status == ContactStatus.answered
    reply2 = await rig.twilio.incoming_sms(PRIMARY, "close support_given")
    assert "Closed: support_given" in reply2.texts("Message")[0]
    assert (await rig.contact(contact.id)).status == ContactStatus.closed


async def test_accepted_elsewhere_the_responder_is_called_to_bridge(rig: TwilioRig) -> None:
    call_sid, _ = await rig.call_in(CALLER)
    contact = await rig.only_open()
    [offer] = await rig.service.engine.offers_for("r-primary", "pending")
    await rig.service.engine.accept(offer.id, by="r-primary")  # e.g. from the console
    await rig.drain()
    bridge_calls = [c for c in rig.api.calls_to(PRIMARY) if c["url"] and "/bridge" in c["url"]]
    assert len(bridge_calls) == 1
    leg = await rig.twilio.answer(bridge_calls[0])
    connect_url = leg.first("Queue").get("url")
    assert connect_url and leg.first("Queue").text == contact.id
    await rig.twilio.dequeue(connect_url, call_sid, CALLER, bridge_calls[0]["sid"])
    assert (await rig.contact(contact.id)).status == ContactStatus.answered


async def test_caller_who_hangs_up_while_waiting_is_abandoned(rig: TwilioRig) -> None:
    call_sid, reply = await rig.call_in(CALLER)
    contact = await rig.only_open()
    await rig.tick(30)
    await rig.twilio.left_queue(reply.attr("Enqueue", "action"), call_sid, CALLER, "hangup")
    gone = await rig.contact(contact.id)
    assert gone.status == ContactStatus.abandoned
    # The protocol asks for a callback task for an abandoned call, due 2 minutes later: a new
    # contact, offered as usual.
    assert await rig.service.store.open_contacts() == []
    await rig.tick(120)
    [task] = await rig.service.store.get_contacts(await rig.service.store.open_contacts())
    assert task.callback_for == contact.id and task.channel == "voice" and "callback" in task.flags
    [offer] = await rig.service.engine.offers_for(None, "pending")
    assert offer.contact_id == task.id

    # Accepting the task calls the responder, then dials the person back from the hotline number.
    await rig.service.engine.accept(offer.id, by=offer.responder)
    await rig.drain()
    [leg_call] = [c for c in rig.api.calls_to(PRIMARY) if c["url"] and "/bridge" in c["url"]]
    leg = await rig.twilio.answer(leg_call)
    assert leg.first("Number").text == CALLER and leg.attr("Dial", "callerId") == HOTLINE
    await rig.twilio.dequeue(leg.attr("Number", "url"), "CA" + "1" * 32, CALLER, leg_call["sid"])
    assert (await rig.contact(task.id)).status == ContactStatus.answered

    # The number's own status callback says the same for another caller: abandoned once.
    other_sid, _ = await rig.call_in("+15558880002")
    other = await rig.service.engine.open_contact_for("voice", "+15558880002")
    assert other is not None
    status = await rig.twilio.call_status(
        "/channels/twilio/status", other_sid, "+15558880002", HOTLINE, "completed", "inbound"
    )
    assert status.status == 204
    assert (await rig.contact(other.id)).status == ContactStatus.abandoned


async def test_offer_call_not_answered_falls_back_to_a_text(rig: TwilioRig) -> None:
    await rig.call_in(CALLER)
    await rig.drain()
    [call] = offer_calls(rig, PRIMARY)
    await rig.twilio.call_status(
        call["status_callback"], call["sid"], HOTLINE, PRIMARY, "no-answer", "outbound-api"
    )
    await rig.drain()
    assert rig.api.texts_to(PRIMARY) == [
        "New voice contact, priority normal, English. Reply 1 to accept, 2 to pass."
    ]
    await rig.twilio.incoming_sms(PRIMARY, "1")
    assert (await rig.only_open()).status == ContactStatus.assigned
    await rig.drain()
    assert len([c for c in rig.api.calls_to(PRIMARY) if c["url"] and "/bridge" in c["url"]]) == 1


async def test_nobody_answers_backup_and_supervisor_paged_by_voice_at_target(rig: TwilioRig) -> None:
    await rig.call_in(CALLER)
    contact = await rig.only_open()
    target = rig.service.engine.protocol.response_target.total_seconds()
    await rig.tick(target - 30)
    assert not (await rig.contact(contact.id)).breached

    def breach_pages(number: str) -> list[dict[str, Any]]:
        return [c for c in rig.api.calls_to(number) if c["twiml"] and "BREACH" in c["twiml"]]

    await rig.drain()
    assert breach_pages(BACKUP) == [] and breach_pages(SUPERVISOR) == []
    # On the way, the ladder's text pages went out (backup at its first step, by SMS).
    assert any(t.startswith("SafetyNet Escalation:") for t in rig.api.texts_to(BACKUP))
    assert all(CALLER not in t for t in rig.api.texts_to(BACKUP))
    await rig.tick(30)
    breached = await rig.contact(contact.id)
    assert breached.breached and breached.status in (ContactStatus.queued, ContactStatus.offered)
    for number in (BACKUP, SUPERVISOR):
        await rig.drain()
        [page] = breach_pages(number)
        assert page["from"] == HOTLINE and CALLER not in page["twiml"]
        assert '<Say loop="2">' in page["twiml"]


async def test_hold_after_the_caller_was_answered_leaves_the_queue(rig: TwilioRig) -> None:
    call_sid, reply = await rig.call_in(CALLER)
    contact = await rig.only_open()
    await rig.service.engine.close(contact.id, "wrong_number", None, by="r-super")
    hold = await rig.twilio.post(
        reply.attr("Enqueue", "waitUrl"),
        rig.twilio.call_params(call_sid, CALLER, HOTLINE, "in-progress", "inbound"),
    )
    assert isinstance(hold, Reply) and hold.all("Leave")


async def test_language_menu_greets_and_holds_the_caller_in_their_language(rig: TwilioRig) -> None:
    call_sid, first = await rig.twilio.incoming_call(CALLER)
    contact = await rig.only_open()  # the contact exists from the first moment of the call
    assert first.all("Enqueue")  # a caller who presses nothing still waits in the queue
    chosen = await rig.twilio.post(
        first.attr("Gather", "action"),
        rig.twilio.call_params(call_sid, CALLER, HOTLINE, "in-progress", "inbound", Digits="2"),
    )
    protocol = rig.service.engine.protocol
    assert chosen.texts("Say") == [protocol.text("voice", "greeting", "es")]
    assert chosen.attr("Say", "language") == "es-MX"
    assert chosen.first("Enqueue").text == contact.id
    hold = await rig.twilio.post(
        chosen.attr("Enqueue", "waitUrl"),
        rig.twilio.call_params(call_sid, CALLER, HOTLINE, "in-progress", "inbound"),
    )
    assert hold.texts("Say") == [protocol.text("voice", "hold", "es")]
    assert hold.texts("Redirect") == [chosen.attr("Enqueue", "waitUrl")]


RURAL = Path(__file__).resolve().parents[2] / "protocols" / "examples" / "rural.yaml"
PARTNER_LINE = "+15555550100"  # mountain-crisis's transfer number in rural.yaml


async def test_unanswered_call_is_warm_transferred_to_the_partner(make_rig: RigFactory) -> None:
    rig = await make_rig(protocol=str(RURAL))
    await rig.staff()
    call_sid, _ = await rig.call_in(CALLER)
    contact = await rig.only_open()
    await rig.tick(12 * 60 - 30)
    assert rig.api.calls_to(PARTNER_LINE) == []
    await rig.tick(30)
    # At 12 minutes the ladder overflows to the partner: their line is rung while the caller
    # stays in our queue (never dropped), still open to our own responders.
    [call] = rig.api.calls_to(PARTNER_LINE)
    assert (await rig.contact(contact.id)).is_unanswered
    leg = await rig.twilio.answer(call)
    assert leg.first("Queue").text == contact.id
    joined_url = leg.first("Queue").get("url")
    assert joined_url
    await rig.twilio.dequeue(joined_url, call_sid, CALLER, call["sid"])
    done = await rig.contact(contact.id)
    assert done.status == ContactStatus.handed_off
    handoff = [e for e in done.timeline if e.event == "handed_off"]
    assert len(handoff) == 1 and (handoff[0].model_extra or {})["partner"] == "mountain-crisis"
    # the handoff is followed up (Standards 23/35)
    assert f"followup:{contact.id}" in {t.id for t in await rig.service.store.timers()}
