"""Triage: danger words in English and Spanish, minors, repeat contacts, time of day, flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Priority, Protocol, default_protocol
from tests.protocols.helpers import load


@pytest.fixture(scope="module")
def default() -> Protocol:
    return default_protocol()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("He has a GUN and says he will use it", "en"),
        ("i want to kill myself", "en"),
        ("he\u2019s here, outside my door", "en"),
        ("she's choking me", "en"),
        ("Me va a matar", "es"),
        ("me esta golpeando ahora", "es"),
        ("ME ESTÁ GOLPEANDO", "es-MX"),
        ("tiene una pistola", "es"),
        ("ayúdame ya por favor", "es"),
        ("quiero morir", None),
    ],
)
def test_danger_words_make_a_critical_contact_that_skips_the_ladder(
    default: Protocol, text: str, language: str | None
) -> None:
    triage = default.classify("sms", text, language)
    assert triage.priority is Priority.critical
    assert "imminent_danger" in triage.flags
    assert triage.imminent_danger
    assert triage.skip_ladder
    assert triage.offer_to == ("all_on_call",)
    assert triage.page_now == ("supervisor",)
    assert triage.page_via == ("voice", "sms")
    assert "imminent_danger" in triage.handoff_flags


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("the meeting has begun", "en"),  # "gun" only as a whole word
        ("I need information about shelters", "en"),
        ("necesito información", "es"),
    ],
)
def test_ordinary_contacts_stay_normal(default: Protocol, text: str, language: str) -> None:
    triage = default.classify("sms", text, language)
    assert triage.priority is Priority.normal
    assert triage.flags == ()
    assert not triage.imminent_danger
    assert triage.offer_to == ()


@pytest.mark.parametrize(
    ("text", "language", "minor"),
    [
        ("I'm 15 and my stepdad hits me", "en", True),
        ("im 16", "en", True),
        ("I am 9 years old", "en", True),
        ("i am a minor", "en", True),
        ("I'm 15 minutes away from the shelter", "en", False),
        ("I am 6 feet tall", "en", False),
        ("tengo 14 años", "es", True),
        ("soy menor de edad", "es", True),
        ("tengo 15 minutos", "es", False),
    ],
)
def test_minors_are_flagged_and_need_a_mandated_report(
    default: Protocol, text: str, language: str, minor: bool
) -> None:
    triage = default.classify("chat", text, language)
    assert ("minor" in triage.flags) is minor
    assert triage.mandated_report is minor
    assert (triage.priority is Priority.high) is minor


def test_vulnerable_adult_needs_a_mandated_report(default: Protocol) -> None:
    triage = default.classify("voice", "my caregiver takes my money", "en")
    assert triage.flags == ("vulnerable_adult",)
    assert triage.mandated_report
    assert default.requires_mandated_report(triage.flags)


def test_flags_from_every_matching_rule_add_up(default: Protocol) -> None:
    triage = default.classify("sms", "I'm 15, they took my passport and have a gun", "en")
    assert triage.priority is Priority.critical
    assert set(triage.flags) == {"imminent_danger", "minor", "trafficking"}
    assert triage.rules == ("imminent-danger-en", "trafficking-en", "minor-en")


def test_repeat_contacts_within_the_window(default: Protocol) -> None:
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    two_earlier = [at - timedelta(hours=20), at - timedelta(hours=2)]
    triage = default.classify("voice", "hello", "en", at=at, previous=two_earlier)
    assert triage.priority is Priority.high
    assert triage.flags == ("repeat_contact", "handle_with_care")
    assert triage.rules == ("repeat-contact",)
    # One of them outside the 24-hour window: only two contacts inside it.
    old = [at - timedelta(hours=30), at - timedelta(hours=2)]
    assert default.classify("voice", "hello", "en", at=at, previous=old).flags == ()
    assert default.repeat_window == timedelta(hours=24)


def test_a_copy_without_repeat_rules_looks_back_no_further(default: Protocol) -> None:
    """The window is cached on the protocol; a changed copy works out its own."""
    assert default.repeat_window == timedelta(hours=24)
    plain = default.model_copy(update={"triage": [r for r in default.triage if not r.repeat]})
    assert plain.repeat_window is None
    assert default.repeat_window == timedelta(hours=24)


def test_repeat_contacts_without_an_arrival_time_count_everything_given(default: Protocol) -> None:
    earlier = [datetime(2026, 1, 1, tzinfo=UTC)] * 2
    assert "repeat_contact" in default.classify("sms", "hi", "en", previous=earlier).flags


def test_existing_positional_calls_keep_working(default: Protocol) -> None:
    triage = default.classify("sms", "hello", None)
    assert triage.priority is Priority.normal
    assert triage.rules == ()


NIGHT = """
timezone: America/New_York
triage:
  - name: weekend-night-text
    channels: [sms]
    hours:
      - {days: [fri, sat], start: "22:00", end: "06:00"}
    priority: high
    flags: [handle_with_care]
"""


@pytest.mark.parametrize(
    ("at", "fires"),
    [
        # 03:00 UTC Saturday is 22:00 Friday in New York (EST, UTC-5).
        (datetime(2026, 1, 10, 3, 0, tzinfo=UTC), True),
        # 10:30 UTC Saturday is 05:30 Saturday in New York: Friday's window runs past midnight.
        (datetime(2026, 1, 10, 10, 30, tzinfo=UTC), True),
        # 11:00 UTC Saturday is 06:00 in New York: the window has ended.
        (datetime(2026, 1, 10, 11, 0, tzinfo=UTC), False),
        # 05:00 UTC Monday is 00:00 Monday in New York; Sunday has no window.
        (datetime(2026, 1, 12, 5, 0, tzinfo=UTC), False),
        # In July New York is UTC-4: 02:30 UTC Saturday is 22:30 Friday.
        (datetime(2026, 7, 11, 2, 30, tzinfo=UTC), True),
        # A naive time is taken as hotline-local already: Friday 23:00.
        (datetime(2026, 1, 9, 23, 0), True),
    ],
)
def test_time_of_day_rules_use_the_hotline_time_zone(at: datetime, fires: bool) -> None:
    protocol = load(NIGHT)
    triage = protocol.classify("sms", "hello", "en", at=at)
    assert (triage.rules == ("weekend-night-text",)) is fires
    assert (triage.priority is Priority.high) is fires


def test_time_of_day_rule_needs_the_time_and_the_channel() -> None:
    protocol = load(NIGHT)
    friday_night = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert protocol.classify("sms", "hello", "en").rules == ()
    assert protocol.classify("voice", "hello", "en", at=friday_night).rules == ()


def test_flag_rules_chain_and_flags_carry_a_least_priority() -> None:
    protocol = load(
        """
        flags:
          trafficking: {priority: high}
          labour: {}
        triage:
          - name: needs-trafficking-flag
            when_flags: [trafficking]
            flags: [labour]
            priority: low
          - name: words
            keywords: [passport]
            flags: [trafficking]
            priority: low
        """
    )
    triage = protocol.classify("email", "they have my passport", "en")
    assert triage.rules == ("words", "needs-trafficking-flag")
    assert triage.flags == ("trafficking", "labour")
    assert triage.priority is Priority.high


def test_flags_given_by_the_caller_count() -> None:
    protocol = Protocol()
    triage = protocol.classify("voice", "", None, flags=["imminent_danger"])
    assert triage.priority is Priority.critical
    assert triage.skip_ladder
    minor = protocol.classify("voice", "", None, flags=["minor"])
    assert minor.priority is Priority.high
    assert minor.mandated_report


def test_a_rule_with_no_conditions_never_fires() -> None:
    protocol = load("triage:\n  - {name: empty, priority: critical}\n")
    assert protocol.classify("sms", "anything", "en").priority is Priority.normal


def test_language_of_a_rule_matches_regional_variants() -> None:
    protocol = load(
        """
        languages: [en, es]
        triage:
          - {name: es, language: es-MX, keywords: [ayuda], priority: critical}
        """
    )
    assert protocol.classify("sms", "ayuda", "es").priority is Priority.critical
    assert protocol.classify("sms", "ayuda", "ES_us").priority is Priority.critical
    assert protocol.classify("sms", "ayuda", "en").priority is Priority.normal


def test_unquoted_clock_times_are_read_as_clock_times() -> None:
    # YAML 1.1 reads 22:00 as the number 1320 and 9:30 as 570; both mean what they look like.
    protocol = load("triage:\n  - {name: late, channels: [sms], hours: [{start: 22:00, end: 9:30}]}\n")
    window = protocol.triage[0].hours[0]
    assert (window.start, window.end) == (22 * 60, 9 * 60 + 30)
    assert window.describe() == "every day 22:00-09:30 (overnight)"
    assert protocol.to_dict()["triage"][0]["hours"][0] == {
        "days": list(window.days),
        "start": "22:00",
        "end": "09:30",
    }


def test_danger_words_fire_whatever_language_the_contact_declares(default: Protocol) -> None:
    # A browser set to English, a person writing in Spanish: the danger must not be missed.
    assert default.classify("chat", "me va a matar", "en").priority is Priority.critical
    assert default.classify("sms", "he has a gun", "es").priority is Priority.critical
    # Other rules keep to their language.
    assert default.classify("sms", "soy menor de edad", "en").flags == ()


BLANK = """
triage:
  - name: words
    keywords: [help]
    flags: [worded]
  - name: silence
    patterns: ['^$']
    flags: [silent]
  - name: calls
    channels: [voice]
    flags: [called]
    priority: high
  - name: after-silence
    when_flags: [silent]
    flags: [quiet_caller]
"""


@pytest.mark.parametrize("text", ["", "   ", "\\n\\t"])
def test_a_contact_without_words_is_tried_on_every_rule_that_can_fire_without_them(text: str) -> None:
    """A call or an empty message skips the rules that need words, and only those: a pattern
    that matches nothing, a channel rule, and a rule reacting to their flags still fire."""
    protocol = load(BLANK)
    triage = protocol.classify("voice", text.encode().decode("unicode_escape"), None)
    assert triage.rules == ("silence", "calls", "after-silence")
    assert triage.flags == ("silent", "called", "quiet_caller")
    assert triage.priority is Priority.high
    worded = protocol.classify("voice", "please help", None)
    assert worded.rules == ("words", "calls")
