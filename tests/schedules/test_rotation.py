"""Rotations laid out on the wall clock: exact UTC instants across DST in New York and London."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from schedules import Roster, Rotation, check_coverage, expand_with_notes, irregular_shifts
from tests.schedules.helpers import spans, utc

NY = "America/New_York"
LONDON = "Europe/London"


def roster(timezone: str, **rotation: object) -> Roster:
    return Roster.model_validate({"timezone": timezone, "rotations": [rotation]})


def weekly(timezone: str, start: str) -> Roster:
    return roster(
        timezone,
        role="primary",
        participants=["ana", "ben", "cy", "dee"],
        start=start,
        handoff="09:00",
        shift_length="P7D",
    )


def day_night(timezone: str, start: str) -> Roster:
    return roster(
        timezone,
        role="primary",
        participants=["dana", "nick"],
        start=start,
        handoff="07:00",
        shift_length="12h",
    )


def test_weekly_rotation_keeps_monday_0900_across_spring_forward() -> None:
    r = weekly(NY, "2026-03-02")
    got = r.expand(utc(2026, 3, 2), utc(2026, 3, 24))
    assert spans(got) == [
        ("ana", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),  # 167 real hours
        ("ben", "primary", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
        ("cy", "primary", utc(2026, 3, 16, 13), utc(2026, 3, 23, 13)),
        ("dee", "primary", utc(2026, 3, 23, 13), utc(2026, 3, 24)),  # clipped to the window
    ]


def test_weekly_rotation_far_from_its_start_across_fall_back() -> None:
    r = weekly(NY, "2026-03-02")
    got = r.expand(utc(2026, 10, 27), utc(2026, 11, 3))
    # 34 weeks after 2026-03-02: participant 34 % 4 = 2, cy; 169 real hours.
    assert spans(got) == [
        ("cy", "primary", utc(2026, 10, 27), utc(2026, 11, 2, 14)),
        ("dee", "primary", utc(2026, 11, 2, 14), utc(2026, 11, 3)),
    ]


def test_weekly_rotation_in_london() -> None:
    r = weekly(LONDON, "2026-03-23")
    got = r.expand(utc(2026, 3, 23), utc(2026, 4, 6))
    assert spans(got) == [
        ("ana", "primary", utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)),
        ("ben", "primary", utc(2026, 3, 30, 8), utc(2026, 4, 6)),
    ]


def test_spring_forward_night_is_eleven_hours_in_new_york() -> None:
    r = day_night(NY, "2026-03-07")
    got = r.expand(utc(2026, 3, 7, 12), utc(2026, 3, 9, 11))
    assert spans(got) == [
        ("dana", "primary", utc(2026, 3, 7, 12), utc(2026, 3, 8, 0)),
        ("nick", "primary", utc(2026, 3, 8, 0), utc(2026, 3, 8, 11)),
        ("dana", "primary", utc(2026, 3, 8, 11), utc(2026, 3, 8, 23)),
        ("nick", "primary", utc(2026, 3, 8, 23), utc(2026, 3, 9, 11)),
    ]
    odd = irregular_shifts(r, utc(2026, 3, 7, 12), utc(2026, 3, 9, 11))
    assert [(i.responder, i.start, i.end, i.actual, i.nominal) for i in odd] == [
        ("nick", utc(2026, 3, 8, 0), utc(2026, 3, 8, 11), timedelta(hours=11), timedelta(hours=12))
    ]
    assert odd[0].describe(NY) == (
        "primary shift of nick from 2026-03-07 19:00 to 2026-03-08 07:00 (America/New_York) "
        "lasts 11 h, not 12 h"
    )


def test_fall_back_night_is_thirteen_hours_in_new_york() -> None:
    r = day_night(NY, "2026-03-07")
    odd = irregular_shifts(r, utc(2026, 10, 31), utc(2026, 11, 2))
    assert [(i.responder, i.start, i.end, i.actual) for i in odd] == [
        ("nick", utc(2026, 10, 31, 23), utc(2026, 11, 1, 12), timedelta(hours=13))
    ]


def test_london_nights_across_both_changes() -> None:
    r = day_night(LONDON, "2026-03-01")
    spring = irregular_shifts(r, utc(2026, 3, 28), utc(2026, 3, 30))
    autumn = irregular_shifts(r, utc(2026, 10, 24), utc(2026, 10, 26))
    assert [(i.start, i.end, i.actual) for i in spring] == [
        (utc(2026, 3, 28, 19), utc(2026, 3, 29, 6), timedelta(hours=11))
    ]
    assert [(i.start, i.end, i.actual) for i in autumn] == [
        (utc(2026, 10, 24, 18), utc(2026, 10, 25, 7), timedelta(hours=13))
    ]


def test_day_night_covers_the_spring_forward_day_without_a_gap() -> None:
    r = day_night(NY, "2026-03-01")
    start, end = utc(2026, 3, 7, 5), utc(2026, 3, 9, 4)  # local midnight to midnight: 47 hours
    coverage = check_coverage(r.expand(start, end), start, end)
    assert coverage.primary_gaps == []
    assert sum((s.end - s.start for s in r.expand(start, end)), timedelta()) == timedelta(hours=47)


def test_handoff_in_the_skipped_hour_happens_when_the_clocks_jump() -> None:
    r = roster(
        NY, role="primary", participants=["a", "b"], start="2026-03-06", handoff="02:30", shift_length="1d"
    )
    got = r.expand(utc(2026, 3, 7), utc(2026, 3, 9, 12))
    assert spans(got) == [
        ("a", "primary", utc(2026, 3, 7), utc(2026, 3, 7, 7, 30)),
        ("b", "primary", utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7)),  # 03:00 EDT, the jump
        ("a", "primary", utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)),
        ("b", "primary", utc(2026, 3, 9, 6, 30), utc(2026, 3, 9, 12)),
    ]


def test_handoff_in_the_repeated_hour_uses_the_first_occurrence() -> None:
    r = roster(
        NY, role="primary", participants=["a", "b"], start="2026-10-31", handoff="01:30", shift_length="1d"
    )
    got = r.expand(utc(2026, 10, 31), utc(2026, 11, 3))
    assert spans(got) == [
        ("a", "primary", utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 EDT both
        ("b", "primary", utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),  # 25 hours
        ("a", "primary", utc(2026, 11, 2, 6, 30), utc(2026, 11, 3)),
    ]


def test_weekday_evenings_rotation_advances_once_per_kept_turn() -> None:
    r = roster(
        NY,
        role="backup",
        participants=["a", "b"],
        start="2026-03-02",
        handoff="18:00",
        shift_length="14h",
        every="1d",
        days=["mon", "tue", "wed", "thu", "fri"],
    )
    got = r.expand(utc(2026, 3, 2), utc(2026, 3, 10))
    assert [(s.responder, s.start.astimezone(r.zone).strftime("%a %H:%M")) for s in got] == [
        ("a", "Mon 18:00"),
        ("b", "Tue 18:00"),
        ("a", "Wed 18:00"),
        ("b", "Thu 18:00"),
        ("a", "Fri 18:00"),
        ("b", "Mon 18:00"),  # the weekend turns are skipped, not handed to anyone
    ]
    # Far away, the count of kept turns still decides who is on: 2027-03-01 is turn 364 (260 kept).
    later = r.expand(utc(2027, 3, 1), utc(2027, 3, 2, 12))
    assert [s.responder for s in later] == ["a"]


def test_day_and_night_teams_as_two_rotations_in_one_role() -> None:
    r = Roster.model_validate(
        {
            "timezone": NY,
            "rotations": [
                {"role": "primary", "participants": ["d1", "d2"], "start": "2026-03-07", "handoff": "07:00",
                 "shift_length": "12h", "every": "1d"},
                {"role": "primary", "participants": ["n1", "n2"], "start": "2026-03-07", "handoff": "19:00",
                 "shift_length": "12h", "every": "1d"},
            ],
        }
    )  # fmt: skip
    got = r.expand(utc(2026, 3, 7, 12), utc(2026, 3, 8, 23))
    assert spans(got) == [
        ("d1", "primary", utc(2026, 3, 7, 12), utc(2026, 3, 8, 0)),
        ("n1", "primary", utc(2026, 3, 8, 0), utc(2026, 3, 8, 11)),
        ("d2", "primary", utc(2026, 3, 8, 11), utc(2026, 3, 8, 23)),
    ]


def test_until_stops_the_rotation_at_its_handoff() -> None:
    r = roster(
        NY, role="primary", participants=["a"], start="2026-03-02", shift_length="1w", until="2026-03-12"
    )
    got = r.expand(utc(2026, 3, 1), utc(2026, 3, 31))
    assert spans(got) == [
        ("a", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),
        ("a", "primary", utc(2026, 3, 9, 13), utc(2026, 3, 12, 13)),
    ]


def test_window_before_the_rotation_starts_is_empty() -> None:
    r = weekly(NY, "2026-03-02")
    assert r.expand(utc(2026, 1, 1), utc(2026, 3, 2, 14)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12h", timedelta(hours=12)), ("1w", timedelta(days=7)), ("1h30m", timedelta(minutes=90)),
     ("PT8H", timedelta(hours=8)), (3600, timedelta(hours=1))],
)  # fmt: skip
def test_lengths_read_friendly_and_iso_forms(text: object, expected: timedelta) -> None:
    rot = Rotation.model_validate(
        {"role": "primary", "participants": ["a"], "start": "2026-01-01", "shift_length": text}
    )
    assert rot.shift_length == expected


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"participants": []}, ["rotations.0.participants", "at least 1"]),
        ({"shift_length": "0h"}, ["shift_length must be a positive whole number of minutes"]),
        ({"shift_length": 90.5}, ["shift_length must be a positive whole number of minutes"]),
        ({"every": "6h"}, ["every", "shorter than shift_length"]),
        ({"days": ["mon", "mon"]}, ["days lists a weekday twice"]),
        ({"days": ["monday"]}, ["rotations.0.days.0"]),
        ({"role": "boss"}, ["rotations.0.role"]),
        ({"until": "2026-01-01"}, ["until (2026-01-01) must come after start"]),
        ({"handoff": "09:00+01:00"}, ["handoff is a wall-clock time"]),
        ({"colour": "red"}, ["rotations.0.colour", "Extra inputs"]),
    ],
)
def test_bad_rotations_are_refused_naming_the_field(change: dict[str, object], words: list[str]) -> None:
    rotation = {
        "role": "primary",
        "participants": ["a"],
        "start": "2026-01-01",
        "shift_length": "12h",
        **change,
    }
    with pytest.raises(ValidationError) as caught:
        Roster.model_validate({"timezone": NY, "rotations": [rotation]})
    for word in words:
        assert word in str(caught.value)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Base'"):
        Roster.model_validate({"timezone": "Mars/Base"})


def test_window_must_be_aware_and_ordered() -> None:
    r = weekly(NY, "2026-03-02")
    with pytest.raises(ValueError, match="time zone aware"):
        r.expand(datetime(2026, 3, 2), datetime(2026, 3, 3))
    with pytest.raises(ValueError, match="must come after start"):
        r.expand(utc(2026, 3, 3), utc(2026, 3, 2))


def test_roster_survives_a_json_round_trip() -> None:
    r = day_night(NY, "2026-03-07")
    again = Roster.model_validate_json(r.model_dump_json())
    assert again == r
    assert again.expand(utc(2026, 3, 7), utc(2026, 3, 9)) == r.expand(utc(2026, 3, 7), utc(2026, 3, 9))
    assert all(s.start.tzinfo is UTC for s in again.expand(utc(2026, 3, 7), utc(2026, 3, 9)))


def test_roster_with_changes_survives_a_json_round_trip() -> None:
    r = Roster.model_validate(
        {
            "timezone": NY,
            "rotations": [
                {"role": "primary", "participants": ["a", "b"], "start": "2026-03-02", "shift_length": "1w"}
            ],
            "overrides": [
                {"responder": "c", "replaces": "a", "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}
            ],
            "swaps": [{"responders": ["a", "b"], "start": "2026-03-09T00:00Z", "end": "2026-03-10T00:00Z"}],
            "time_off": [{"responder": "b", "start": "2026-03-12T09:00", "end": "2026-03-12T10:00"}],
        }
    )
    again = Roster.model_validate_json(r.model_dump_json())
    assert again == r
    assert again.expand(utc(2026, 3, 2), utc(2026, 3, 16)) == r.expand(utc(2026, 3, 2), utc(2026, 3, 16))
    assert Roster.model_json_schema()["title"] == "Roster"


def test_the_readme_example_is_a_valid_roster() -> None:
    text = (Path(__file__).parents[2] / "schedules" / "README.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    r = Roster.model_validate(yaml.safe_load(block))
    assert [x.name for x in r.rotations] == ["primary weekly", "backup nights"]
    got, notes = expand_with_notes(r, utc(2026, 3, 2), utc(2026, 3, 23))
    assert notes == []
    assert [s.responder for s in got if s.role == "primary"] == [
        "ana",
        "eve",
        "ana",
        "hal",
        "ana",
        "cy",
        "ben",
    ]
