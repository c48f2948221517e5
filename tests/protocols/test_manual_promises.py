"""The manual states what the engine does: hours and holidays, languages, the danger key, flags
during a contact, the after-hours ladder; `protocol check` accepts the new settings and refuses
texts a channel never uses."""

from __future__ import annotations

import pytest

from protocols import check_text, default_protocol, parse_protocol, render_markdown
from protocols.loader import ProtocolError

FULL = """
name: promises
timezone: Europe/Berlin
languages: [en, de]
language_fallback: {after: 2m, interpreter: "Interpreter line 0800 555 0199, code 12", standard: "27"}
holidays:
  - {date: 2026-12-25, name: Christmas}
  - {date: 2026-12-24, open_hours: [{start: "09:00", end: "12:00"}]}
escalation:
  - {after: 5m, notify: [backup]}
  - {after: 10m, notify: [supervisor], via: [sms]}
after_hours_escalation:
  - {after: 1m, notify: [supervisor], via: [voice]}
breach_notify: [all_on_call, supervisor]
callbacks:
  - {when: [after_hours], channels: [chat], due_after: 0s, attempts: 1, use: sms}
channels:
  voice:
    danger_key: "9"
    greeting: {en: "Hello.", de: "Hallo."}
    danger: {en: "Help is being alerted now.", de: "Hilfe wird jetzt alarmiert."}
  chat:
    open_hours: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]
    greeting: {en: "Welcome.", de: "Willkommen."}
    after_hours: {en: "Closed now.", de: "Jetzt geschlossen."}
    hold: {en: "Still here.", de: "Wir sind da."}
    hold_interval: 2m
mandated_reporting:
  agencies:
    - {name: Jugendamt Mitte, for_flags: [minor], phone: "030 555 0100"}
"""


def test_check_accepts_every_new_setting() -> None:
    assert [line for line in check_text(FULL, "promises.yaml") if "warning" not in line] == []


def test_manual_states_hours_holidays_language_and_what_staff_can_do() -> None:
    text = render_markdown(parse_protocol(FULL, "promises.yaml"))
    assert "## Open hours and holidays" in text
    assert "still queued, offered and timed" in text
    assert "2026-12-25 (Christmas): channels with open hours are closed all day." in text
    assert "2026-12-24: channels with open hours are open 09:00-12:00." in text
    assert (
        "Out of hours, after 1 minute unanswered, the supervisor on call is notified by phone call." in text
    )
    assert "after-hours callback rule applies" in text
    assert "## Languages" in text and "es-MX is served by an es speaker" in text
    assert "after 2 minutes anyone may be offered the contact" in text
    assert "Interpreter line 0800 555 0199, code 12" in text
    assert "At the breach, language no longer limits who is offered the contact." in text
    assert "## During a contact" in text
    assert "press 9 at the greeting" in text
    assert "texting FLAG" in text and "keeps its deadline" in text
    assert "offered one contact at most 2 times at each step of the ladder" in text
    # mandated-report agencies are listed for staff, by the flags they are for
    assert "Report for Minor (under 18) to Jugendamt Mitte: 030 555 0100." in text


def test_a_protocol_without_hours_says_24_7() -> None:
    text = render_markdown(default_protocol())
    assert "Every channel is answered 24 hours a day, holidays included." in text
    assert "press 9 at the greeting" in text
    assert "A contact flagged handle with care gets no callback" in text


def test_a_text_a_channel_never_uses_is_refused() -> None:
    for yaml, where in (
        ("channels:\n  sms:\n    greeting: {en: hi}\n", "channels.sms.greeting"),
        ("channels:\n  email:\n    hold: {en: wait}\n", "channels.email.hold"),
        ("channels:\n  chat:\n    danger_key: '9'\n", "channels.chat.danger_key"),
        ("channels:\n  voice:\n    auto_reply: {en: hi}\n", "channels.voice.auto_reply"),
    ):
        with pytest.raises(ProtocolError) as info:
            parse_protocol(yaml, "x.yaml")
        assert any(where in p and "is not used on" in p for p in info.value.problems), info.value.problems


def test_new_settings_are_checked() -> None:
    bad = [
        ("channels:\n  voice:\n    danger_key: '12'\n", "channels.voice.danger_key"),
        ("holidays:\n  - {date: 2026-13-01}\n", "x.yaml:2: month must be in 1..12: write a date like"),
        ("holidays:\n  - {date: christmas}\n", "holidays[0].date"),
        ("language_fallback: {after: -1m}\n", "language_fallback.after"),
        (
            "after_hours_escalation:\n  - {after: 5m, notify: [backup]}\n  - {after: 1m, notify: [backup]}\n",
            "after_hours_escalation[1].after",
        ),
    ]
    for yaml, where in bad:
        problems = check_text(yaml, "x.yaml")
        assert any(where in p for p in problems), (where, problems)


def test_overflow_is_stated_only_for_a_partner_the_ladder_uses() -> None:
    yaml = "partners:\n  - {id: spare, name: Spare Line, phone: '555-0100', overflow: true}\n"
    overflow = [line for line in check_text(yaml, "x.yaml") if "overflow" in line]
    assert overflow == [
        "x.yaml:2: partners[0].overflow: warning: marked `overflow: true` but no escalation step or the "
        "breach hands contacts to it"
    ]
    assert "Takes overflow" not in render_markdown(parse_protocol(yaml))
