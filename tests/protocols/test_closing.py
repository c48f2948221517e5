"""Closing, callbacks, partners and channel texts: the data the router reads to act on a contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Priority, Protocol, default_protocol, example_protocol

DONE = {"what": "suspected abuse by stepfather", "to": "Wake County CPS", "when": "2026-03-02 10:15"}


@pytest.fixture(scope="module")
def default() -> Protocol:
    return default_protocol()


@pytest.fixture(scope="module")
def rural() -> Protocol:
    return example_protocol("rural")


def test_disposition_requirements_add_the_mandated_report_for_minors(default: Protocol) -> None:
    assert default.disposition_requirements("support_given") == []
    assert default.disposition_requirements("referral") == ["referral"]
    assert default.disposition_requirements("warm_handoff", ["minor"]) == [
        "referral",
        "notes",
        "mandated_report",
    ]
    assert default.disposition_requirements("support_given", ["vulnerable_adult"]) == ["mandated_report"]


def test_close_problems_in_plain_words(default: Protocol) -> None:
    assert default.close_problems("support_given") == []
    assert default.close_problems("closed_it") == [
        "disposition: 'closed_it' is not one of support_given, safety_plan, referral, warm_handoff, "
        "information, callback_unreached, referral_confirmed, referral_unconfirmed, wrong_number, "
        "prank, other"
    ]
    assert default.close_problems("other", record={"notes": "  "}) == [
        "notes: required when closing as other: notes on what happened"
    ]
    assert default.close_problems("referral", record={}) == [
        "referral: say which partner the person was referred to (referral.partner)"
    ]
    assert default.close_problems("referral", record={"referral": {"partner": "ndvh"}}) == []
    assert default.close_problems("referral", record={"referral": {"partner": "nowhere"}}) == [
        "referral.partner: 'nowhere' is not in the partner directory (nhth, ndvh, lifeline-988)"
    ]


def test_mandated_report_checklist_must_be_complete(default: Protocol) -> None:
    missing = default.close_problems("support_given", ["minor"], {})
    assert len(missing) == 1
    assert missing[0].startswith("mandated_report: this contact is flagged for a mandated report; record ")
    partial = default.close_problems("support_given", ["minor"], {"mandated_report": {"what": "abuse"}})
    assert partial == [
        "mandated_report.to: To whom (agency and person)?",
        "mandated_report.when: When was the report made (date and time)?",
        "mandated_report.client_informed: Was the person told a report was made, and why?",
    ]
    complete = {"mandated_report": {**DONE, "client_informed": True}}
    assert default.close_problems("support_given", ["minor"], complete) == []
    # A responder who finds no report is due writes down why; that reason is the record.
    reason = {"mandated_report": {"not_required": "caller is 19; said 15 as a test"}}
    assert default.close_problems("support_given", ["minor"], reason) == []


def test_callback_rules(default: Protocol) -> None:
    rule = default.callback_for("abandoned", "voice")
    assert rule is not None
    assert rule.priority is Priority.high
    assert rule.only_if_safe
    assert rule.channel_for("voice") == "voice"
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert rule.due_times(start) == [start + timedelta(minutes=m) for m in (2, 17, 32)]
    text = default.callback_for("abandoned", "sms")
    assert text is not None
    assert text.channel_for("sms") == "sms"
    # A chat left no phone number: the "use: sms" rule calls a chat back on chat.
    chat = default.callback_for("abandoned", "chat")
    assert chat is not None and chat.use == "sms"
    assert chat.channel_for("chat") == "chat"
    voice_rule = chat.model_copy(update={"use": "voice"})
    assert voice_rule.channel_for("sms") == "voice" and voice_rule.channel_for("email") == "email"
    assert default.callback_for("after_hours", "voice") is None


def test_partner_overflow_in_the_rural_ladder(rural: Protocol) -> None:
    step = rural.escalation[2]
    assert "partner" in step.notify
    partner = rural.overflow_partner_for(2)
    assert partner is not None
    assert partner.id == "mountain-crisis"
    assert partner.transfer_to == "+15555550100"
    assert rural.overflow_partner_for(None) == partner
    assert rural.overflow_partner_for(0) == partner  # the hotline-wide overflow partner
    message = rural.handoff_message("sms", "en", partner)
    assert message == (
        "Our partner Mountain Region Crisis Line can help right now: call 555-0100 or text 555-0101 (24/7). "
        "We will check in with you."
    )


def test_find_partners_by_service_language_and_hours(rural: Protocol) -> None:
    assert [p.id for p in rural.find_partners(service="legal")] == ["county-legal"]
    assert [p.id for p in rural.find_partners(language="es")] == ["mountain-crisis"]
    saturday_noon = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
    monday_noon = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert rural.find_partners(service="legal", at=saturday_noon) == []
    assert [p.id for p in rural.find_partners(service="legal", at=monday_noon)] == ["county-legal"]


def test_referral_follow_up_times(default: Protocol) -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    assert default.referral_follow_up.due_times(start) == [
        start + timedelta(days=3),
        start + timedelta(days=5),
    ]


def test_texts_fall_back_to_the_fallback_language(default: Protocol) -> None:
    greeting = default.text("voice", "greeting", "es-MX")
    assert greeting is not None
    assert greeting.startswith("Se ha comunicado con SafetyNet Hotline.")
    english = default.text("voice", "greeting", "fr")
    assert english is not None
    assert english.startswith("You have reached SafetyNet Hotline.")
    assert default.text("email", "hold", "en") is None
    assert default.hold_interval("voice") == timedelta(seconds=60)


def test_legacy_messages_still_answer_text() -> None:
    protocol = Protocol(messages={"sms_auto_reply": "Hi from {hotline}"})
    assert protocol.text("sms", "auto_reply", "en") == "Hi from default"


def test_open_hours_and_after_hours(rural: Protocol) -> None:
    sunday = datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    tuesday = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert rural.is_open("voice", sunday)
    assert not rural.is_open("chat", sunday)
    assert rural.is_open("chat", tuesday)
    after = rural.text("chat", "after_hours", None)
    assert after is not None
    assert "24/7" in after
    rule = rural.callback_for("after_hours", "chat")
    assert rule is not None
    assert rule.channel_for("chat") == "chat"  # no phone number to text: back on chat
