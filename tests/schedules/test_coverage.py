"""Coverage: exact gaps and rating, language and skill cover, double bookings and long stretches."""

from __future__ import annotations

from datetime import timedelta

from schedules import (
    ResponderProfile,
    Roster,
    attribute_coverage,
    check_coverage,
    coverage_report,
    double_bookings,
    gaps,
    long_stretches,
    roster_report,
)
from tests.schedules.helpers import shift, utc

START, END = utc(2026, 3, 2), utc(2026, 3, 3)


def test_gaps_are_exact_and_merged() -> None:
    shifts = [
        shift("a", "primary", utc(2026, 3, 2, 1), utc(2026, 3, 2, 9, 17)),
        shift("b", "primary", utc(2026, 3, 2, 9), utc(2026, 3, 2, 12)),  # overlaps a
        shift("c", "primary", utc(2026, 3, 2, 12, 1), utc(2026, 3, 3, 2)),
        shift("d", "backup", START, END),
    ]
    found = gaps(shifts, "primary", START, END)
    assert [(g.start, g.end, g.minutes) for g in found] == [
        (START, utc(2026, 3, 2, 1), 60.0),
        (utc(2026, 3, 2, 12), utc(2026, 3, 2, 12, 1), 1.0),
    ]
    assert check_coverage(shifts, START, END).primary_gap_s == 61 * 60


def test_rating_follows_standard_32() -> None:
    primary = shift("a", "primary", START, END)
    backup = shift("b", "backup", START, END)
    assert check_coverage([primary, backup], START, END).rating == "exceeds"
    assert check_coverage([primary], START, END).rating == "meets"
    assert check_coverage([backup], START, END).rating == "does_not_meet"
    half = shift("b", "backup", START, utc(2026, 3, 2, 12))
    meets = check_coverage([primary, half], START, END)
    assert (meets.rating, meets.backup_gap_s) == ("meets", 12 * 3600)


def test_language_coverage_names_the_fraction_and_the_gaps() -> None:
    profiles = {
        "ana": ResponderProfile(languages=frozenset({"es", "en"}), skills=frozenset({"dv"})),
        "ben": ResponderProfile(languages=frozenset({"en"})),
    }
    shifts = [
        shift("ana", "primary", START, utc(2026, 3, 2, 15)),
        shift("ben", "primary", utc(2026, 3, 2, 15), END),
        shift("ana", "supervisor", utc(2026, 3, 2, 20), END),  # not counted: supervisors do not take contacts
    ]
    spanish = attribute_coverage(shifts, profiles, "language", "ES", START, END)
    assert spanish.fraction == 15 / 24
    assert [(g.start, g.end) for g in spanish.gaps] == [(utc(2026, 3, 2, 15), END)]
    with_supervisors = attribute_coverage(
        shifts, profiles, "language", "es", START, END, roles=("primary", "supervisor")
    )
    assert with_supervisors.fraction == 19 / 24
    report = coverage_report(shifts, START, END, profiles=profiles)
    assert [(c.value, c.fraction) for c in report.languages] == [("en", 1.0), ("es", 15 / 24)]
    assert [(c.value, c.fraction) for c in report.skills] == [("dv", 15 / 24)]


def test_a_responder_in_two_roles_at_once_is_reported() -> None:
    shifts = [
        shift("ana", "primary", START, utc(2026, 3, 2, 12)),
        shift("ana", "backup", utc(2026, 3, 2, 10), utc(2026, 3, 2, 11)),
        shift("ana", "backup", utc(2026, 3, 2, 11), utc(2026, 3, 2, 14)),
        shift("ben", "backup", START, END),
        shift("ben", "backup", START, END),  # the same role twice is not a double booking
    ]
    found = double_bookings(shifts)
    assert [(b.responder, b.roles, b.start, b.end) for b in found] == [
        ("ana", ("primary", "backup"), utc(2026, 3, 2, 10), utc(2026, 3, 2, 12))
    ]


def test_long_stretches_respect_the_limit_and_short_breaks() -> None:
    shifts = [
        shift("ana", "primary", START, utc(2026, 3, 2, 8)),
        shift("ana", "backup", utc(2026, 3, 2, 8), utc(2026, 3, 2, 16)),  # continuous: 16 h
        shift("ben", "primary", START, utc(2026, 3, 2, 8)),
        shift("ben", "primary", utc(2026, 3, 2, 9), utc(2026, 3, 2, 17)),  # one hour off in between
    ]
    found = long_stretches(shifts, limit=timedelta(hours=12))
    assert [(s.responder, s.start, s.end, s.length) for s in found] == [
        ("ana", START, utc(2026, 3, 2, 16), timedelta(hours=16))
    ]
    strict = long_stretches(shifts, limit=timedelta(hours=12), min_rest=timedelta(hours=2))
    assert [(s.responder, s.length) for s in strict] == [
        ("ana", timedelta(hours=16)),
        ("ben", timedelta(hours=17)),
    ]
    assert long_stretches(shifts, limit=timedelta(hours=16)) == []


def test_roster_report_shows_gaps_and_the_short_night() -> None:
    roster = Roster.model_validate(
        {
            "timezone": "America/New_York",
            "rotations": [
                {"role": "primary", "participants": ["dana", "nick"], "start": "2026-03-01",
                 "handoff": "07:00", "shift_length": "12h"},
                {"role": "backup", "participants": ["bo"], "start": "2026-03-01", "shift_length": "1w"},
            ],
            "time_off": [{"responder": "bo", "start": "2026-03-08T00:00", "end": "2026-03-08T04:00"}],
        }
    )  # fmt: skip
    start, end = utc(2026, 3, 7, 5), utc(2026, 3, 9, 4)
    report = roster_report(roster, start, end, max_stretch=timedelta(hours=20))
    assert report.rating == "meets"
    assert [(g.start, g.end, g.minutes) for g in report.backup_gaps] == [
        (utc(2026, 3, 8, 5), utc(2026, 3, 8, 8), 180.0)  # midnight to 04:00 local is three real hours
    ]
    assert report.primary_fraction == 1.0
    assert report.backup_fraction == 1 - 3 / 47
    assert [(i.responder, i.actual) for i in report.irregular_shifts] == [
        ("bo", timedelta(hours=167)),  # the week holding the change, which began before the window
        ("nick", timedelta(hours=11)),
    ]
    # bo is on call from the window start until the time off: 24 h; after it, 20 h (not over the limit).
    assert [(s.responder, s.start, s.length) for s in report.long_stretches] == [
        ("bo", start, timedelta(hours=24))
    ]
    as_json = report.model_dump(mode="json")
    assert as_json["backup_gaps"][0]["minutes"] == 180.0


def test_summary_reads_in_local_time_and_notes_no_op_changes() -> None:
    roster = Roster.model_validate(
        {
            "timezone": "America/New_York",
            "rotations": [
                {"role": "primary", "participants": ["ana"], "start": "2026-03-02", "shift_length": "1w"},
                {"role": "backup", "participants": ["bo"], "start": "2026-03-02", "shift_length": "1w"},
            ],
            "overrides": [
                {
                    "responder": "eve",
                    "replaces": "anna",
                    "start": "2026-03-04T09:00",
                    "end": "2026-03-05T09:00",
                },
                {
                    "responder": "eve",
                    "replaces": "anna",
                    "start": "2027-03-04T09:00",
                    "end": "2027-03-05T09:00",
                },
            ],
            "swaps": [{"responders": ["x", "y"], "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}],
            "time_off": [{"responder": "ana", "start": "2026-03-08T01:15", "end": "2026-03-08T03:45"}],
        }
    )
    profiles = {"ana": ResponderProfile(languages=frozenset({"es"}))}
    start, end = utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)
    report = roster_report(roster, start, end, profiles=profiles, max_stretch=timedelta(days=5))
    ny = "(America/New_York)"
    assert report.summary("America/New_York") == [
        "rating does_not_meet: primary covered 99.1%, backup covered 100.0% of "
        "Mon 2026-03-02 09:00 EST to Mon 2026-03-09 09:00 EDT",
        "primary gap Sun 2026-03-08 01:15 EST to Sun 2026-03-08 03:45 EDT (90 min)",
        "language es: on call 99% of the window; "
        "gaps: Sun 2026-03-08 01:15 EST to Sun 2026-03-08 03:45 EDT (90 min)",
        "ana is on call 136.25 h in a row "
        "from Mon 2026-03-02 09:00 EST to Sun 2026-03-08 01:15 EST (limit 120 h)",
        "bo is on call 167 h in a row "
        "from Mon 2026-03-02 09:00 EST to Mon 2026-03-09 09:00 EDT (limit 120 h)",
        f"primary shift of ana from 2026-03-02 09:00 to 2026-03-09 09:00 {ny} lasts 167 h, not 168 h",
        f"backup shift of bo from 2026-03-02 09:00 to 2026-03-09 09:00 {ny} lasts 167 h, not 168 h",
        "swaps.0: neither 'x' nor 'y' holds a shift from 2026-03-04 09:00 EST to 2026-03-05 09:00 EST, "
        "so the swap changes nothing",
        "overrides.0: 'anna' holds no shift from 2026-03-04 09:00 EST to 2026-03-05 09:00 EST, "
        "so 'eve' takes over nothing",
    ]
