"""iCalendar export parsed back shift by shift, and import with all-or-nothing errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from schedules import (
    ICalImportError,
    RosterVersion,
    Shift,
    from_ical,
    shift_uid,
    to_ical,
    version_to_ical,
)
from tests.schedules.helpers import PROPERTY, shift, spans, utc

SHIFTS = [
    shift("ana", "primary", utc(2026, 3, 8), utc(2026, 3, 8, 11)),
    shift("ben", "backup", utc(2026, 3, 8), utc(2026, 3, 9)),
    shift("ana", "supervisor", utc(2026, 3, 9), utc(2026, 3, 10)),
]
STAMP = utc(2026, 3, 1, 12)
# Responder ids as people type them, minus control and blank characters (ids are stripped on import).
NAME_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))


def test_export_has_one_event_per_shift_in_utc() -> None:
    text = to_ical(SHIFTS, stamp=STAMP, name="main")
    cal = Calendar.from_ical(text)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    first = events[0]
    assert str(first["SUMMARY"]) == "Primary on call: ana"
    start = first.decoded("DTSTART")
    assert start == utc(2026, 3, 8)
    assert start.utcoffset() == timedelta(0)
    assert str(first["UID"]) == shift_uid(SHIFTS[0])
    # Independent of the library: the wire form names UTC with Z and folds no line we produce.
    assert "DTSTART:20260308T000000Z\r\n" in text
    assert "DTEND:20260308T110000Z\r\n" in text
    assert "X-WR-CALNAME:main\r\n" in text


def test_uid_is_stable_and_distinct() -> None:
    again = [s.model_copy(update={"start": s.start.astimezone(ZoneInfo("Europe/London"))}) for s in SHIFTS]
    assert [shift_uid(s) for s in again] == [shift_uid(s) for s in SHIFTS]
    assert len({shift_uid(s) for s in SHIFTS}) == 3
    assert to_ical(SHIFTS, stamp=STAMP) == to_ical(list(reversed(SHIFTS)), stamp=STAMP)


def test_feed_for_one_responder() -> None:
    text = to_ical(SHIFTS, stamp=STAMP, responder="ana")
    assert spans(from_ical(text)) == spans([SHIFTS[0], SHIFTS[2]])
    assert "X-WR-CALNAME:SafetyNet roster: ana" in text


def test_version_feed_uses_the_publish_time() -> None:
    version = RosterVersion(
        name="main", version=3, timezone="UTC", shifts=tuple(SHIFTS), window_start=utc(2026, 3, 8),
        window_end=utc(2026, 3, 10), published_at=STAMP, published_by="sam",
    )  # fmt: skip
    text = version_to_ical(version)
    assert "DTSTAMP:20260301T120000Z" in text
    assert "X-WR-CALNAME:main v3" in text


@PROPERTY
@given(
    st.lists(
        st.builds(
            lambda who, role, a, n: Shift(
                responder=who,
                role=role,
                start=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=a),
                end=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=a + n),
            ),
            st.text(NAME_CHARS, min_size=1, max_size=40),
            st.sampled_from(["primary", "backup", "supervisor"]),
            st.integers(0, 500_000),
            st.integers(1, 20_000),
        ),
        max_size=15,
    )
)  # fmt: skip
def test_every_shift_survives_a_round_trip(shifts: list[Shift]) -> None:
    back = from_ical(to_ical(shifts, stamp=STAMP))
    assert sorted(s.key() for s in back) == sorted(s.key() for s in shifts)


IMPORT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Other//Calendar//EN
BEGIN:VEVENT
UID:one
DTSTAMP:20260101T000000Z
DTSTART;TZID=America/New_York:20260307T190000
DTEND;TZID=America/New_York:20260308T070000
SUMMARY:Backup on call: Nick Ortiz
END:VEVENT
BEGIN:VEVENT
UID:two
DTSTAMP:20260101T000000Z
DTSTART:20260308T120000Z
DURATION:PT6H
SUMMARY:anything
X-SAFETYNET-RESPONDER:ana
X-SAFETYNET-ROLE:Primary
END:VEVENT
BEGIN:VEVENT
UID:three
DTSTAMP:20260101T000000Z
DTSTART:20260308T190000
DTEND:20260308T230000
SUMMARY:Supervisor on call: cy
END:VEVENT
END:VCALENDAR
"""


def test_import_reads_properties_summaries_zones_and_durations() -> None:
    got = from_ical(IMPORT, timezone="America/New_York")
    assert spans(got) == [
        ("Nick Ortiz", "backup", utc(2026, 3, 8), utc(2026, 3, 8, 11)),  # 11 real hours
        ("ana", "primary", utc(2026, 3, 8, 12), utc(2026, 3, 8, 18)),
        ("cy", "supervisor", utc(2026, 3, 8, 23), utc(2026, 3, 9, 3)),  # floating: read in the given zone
    ]


def test_floating_times_need_a_zone() -> None:
    with pytest.raises(ICalImportError) as caught:
        from_ical(IMPORT)
    assert caught.value.errors == [
        "event 3 (three): DTSTART has no time zone: pass the roster's timezone to read floating times"
    ]


BAD = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Other//Calendar//EN
BEGIN:VEVENT
UID:allday
DTSTART;VALUE=DATE:20260308
DTEND;VALUE=DATE:20260309
SUMMARY:Primary on call: ana
END:VEVENT
BEGIN:VEVENT
UID:nobody
DTSTART:20260308T120000Z
DTEND:20260308T130000Z
SUMMARY:Lunch
END:VEVENT
BEGIN:VEVENT
UID:repeat
DTSTART:20260308T120000Z
DTEND:20260308T130000Z
RRULE:FREQ=DAILY
SUMMARY:Primary on call: ana
END:VEVENT
BEGIN:VEVENT
UID:backwards
DTSTART:20260308T120000Z
DTEND:20260308T110000Z
SUMMARY:Primary on call: ana
END:VEVENT
BEGIN:VEVENT
UID:endless
DTSTART:20260308T120000Z
SUMMARY:Primary on call: ana
END:VEVENT
BEGIN:VEVENT
UID:good
DTSTART:20260308T120000Z
DTEND:20260308T130000Z
SUMMARY:Primary on call: ana
END:VEVENT
END:VCALENDAR
"""


def test_bad_events_are_all_named_and_nothing_is_imported() -> None:
    with pytest.raises(ICalImportError) as caught:
        from_ical(BAD)
    errors = caught.value.errors
    assert len(errors) == 5
    assert (
        errors[0]
        == "event 1 (allday): DTSTART is a whole day (2026-03-08); a shift needs a start and end time"
    )
    assert errors[1].startswith("event 2 (nobody): no responder: set X-SAFETYNET-RESPONDER")
    assert (
        errors[2] == "event 3 (repeat): repeating events (RRULE) are not imported: export single occurrences"
    )
    assert errors[3].startswith("event 4 (backwards): ") and "must end after it starts" in errors[3]
    assert errors[4] == "event 5 (endless): neither DTEND nor DURATION is given"


def test_not_a_calendar_and_unknown_zone() -> None:
    with pytest.raises(ICalImportError, match="not an iCalendar file"):
        from_ical("hello")
    with pytest.raises(ICalImportError, match="unknown time zone 'Nowhere'"):
        from_ical(IMPORT, timezone="Nowhere")


def test_cancelled_events_are_skipped() -> None:
    text = IMPORT.replace("UID:two\n", "UID:two\nSTATUS:CANCELLED\n")
    assert [s.responder for s in from_ical(text, timezone="America/New_York")] == ["Nick Ortiz", "cy"]
