"""Overrides, swaps and time off laid over rotations, with exact instants and clear refusals."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schedules import Roster, check_coverage, expand
from tests.schedules.helpers import shift, spans, utc

NY = "America/New_York"
WEEKLY = {
    "role": "primary",
    "participants": ["ana", "ben"],
    "start": "2026-03-02",
    "handoff": "09:00",
    "shift_length": "1w",
}
BACKUP = {"role": "backup", "participants": ["bo"], "start": "2026-03-02", "shift_length": "1w"}


def roster(**changes: Any) -> Roster:
    return Roster.model_validate({"timezone": NY, "rotations": [WEEKLY, BACKUP], **changes})


def primaries(r: Roster, start: Any = None, end: Any = None) -> list[tuple[str, str, Any, Any]]:
    got = r.expand(start or utc(2026, 3, 2, 14), end or utc(2026, 3, 16, 13))
    return [x for x in spans(got) if x[1] == "primary"]


def test_override_takes_a_range_from_one_person() -> None:
    r = roster(
        overrides=[
            {"responder": "eve", "replaces": "ana", "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}
        ]
    )
    assert primaries(r) == [
        ("ana", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 4, 14)),
        ("eve", "primary", utc(2026, 3, 4, 14), utc(2026, 3, 5, 14)),
        ("ana", "primary", utc(2026, 3, 5, 14), utc(2026, 3, 9, 13)),
        ("ben", "primary", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
    ]


def test_override_across_the_dst_change_uses_local_times() -> None:
    r = roster(
        overrides=[
            {"responder": "eve", "replaces": "ana", "start": "2026-03-07T21:00", "end": "2026-03-08T09:00"}
        ]
    )
    got = [x for x in primaries(r) if x[0] == "eve"]
    assert got == [("eve", "primary", utc(2026, 3, 8, 2), utc(2026, 3, 8, 13))]  # 11 real hours


def test_override_of_a_whole_role_replaces_everyone_in_it() -> None:
    r = roster(
        shifts=[shift("zed", "primary", utc(2026, 3, 6), utc(2026, 3, 7))],
        overrides=[
            {"responder": "eve", "role": "primary", "start": "2026-03-06T00:00Z", "end": "2026-03-06T12:00Z"}
        ],
    )
    assert sorted(primaries(r, utc(2026, 3, 2, 14), utc(2026, 3, 9, 13))) == [
        ("ana", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 6)),
        ("ana", "primary", utc(2026, 3, 6, 12), utc(2026, 3, 9, 13)),
        ("eve", "primary", utc(2026, 3, 6), utc(2026, 3, 6, 12)),
        ("zed", "primary", utc(2026, 3, 6, 12), utc(2026, 3, 7)),
    ]


def test_later_override_wins() -> None:
    r = roster(
        overrides=[
            {"responder": "eve", "replaces": "ana", "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"},
            {"responder": "fay", "replaces": "eve", "start": "2026-03-04T12:00", "end": "2026-03-04T13:00"},
        ]
    )
    assert [x[0] for x in primaries(r, utc(2026, 3, 4, 14), utc(2026, 3, 5, 14))] == ["eve", "fay", "eve"]


def test_swap_exchanges_both_people_in_the_range() -> None:
    r = roster(swaps=[{"responders": ["ana", "ben"], "start": "2026-03-02T09:00", "end": "2026-03-16T09:00"}])
    assert primaries(r) == [
        ("ben", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),
        ("ana", "primary", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
    ]


def test_swap_limited_to_a_role_leaves_other_roles() -> None:
    r = roster(
        swaps=[
            {
                "responders": ["ana", "bo"],
                "role": "backup",
                "start": "2026-03-02T09:00",
                "end": "2026-03-03T09:00",
            }
        ]
    )
    got = r.expand(utc(2026, 3, 2, 14), utc(2026, 3, 3, 14))
    assert sorted(spans(got)) == [
        ("ana", "backup", utc(2026, 3, 2, 14), utc(2026, 3, 3, 14)),
        ("ana", "primary", utc(2026, 3, 2, 14), utc(2026, 3, 3, 14)),
    ]


def test_time_off_opens_a_gap_exact_to_the_minute_across_spring_forward() -> None:
    # 01:15 EST to 03:45 EDT is 90 real minutes, not 150.
    r = roster(time_off=[{"responder": "ana", "start": "2026-03-08T01:15", "end": "2026-03-08T03:45"}])
    start, end = utc(2026, 3, 2, 14), utc(2026, 3, 16, 13)
    coverage = check_coverage(r.expand(start, end), start, end)
    assert [(g.start, g.end, g.minutes) for g in coverage.primary_gaps] == [
        (utc(2026, 3, 8, 6, 15), utc(2026, 3, 8, 7, 45), 90.0)
    ]
    assert coverage.rating == "does_not_meet"


def test_time_off_covered_by_an_override_leaves_no_gap() -> None:
    r = roster(
        overrides=[
            {"responder": "eve", "replaces": "ana", "start": "2026-03-04T00:00", "end": "2026-03-05T00:00"}
        ],
        time_off=[{"responder": "ana", "start": "2026-03-04T00:00", "end": "2026-03-05T00:00"}],
    )
    start, end = utc(2026, 3, 2, 14), utc(2026, 3, 16, 13)
    assert check_coverage(expand(r, start, end), start, end).rating == "exceeds"


def test_time_off_wins_over_an_override_onto_the_same_person() -> None:
    r = roster(
        overrides=[
            {"responder": "ana", "replaces": "ben", "start": "2026-03-10T00:00", "end": "2026-03-11T00:00"}
        ],
        time_off=[{"responder": "ana", "start": "2026-03-10T06:00", "end": "2026-03-10T07:00"}],
    )
    start, end = utc(2026, 3, 2, 14), utc(2026, 3, 16, 13)
    gaps = check_coverage(r.expand(start, end), start, end).primary_gaps
    assert [(g.start, g.end) for g in gaps] == [(utc(2026, 3, 10, 10), utc(2026, 3, 10, 11))]


def test_time_off_with_offsets_is_taken_as_written() -> None:
    r = roster(
        time_off=[{"responder": "ben", "start": "2026-03-10T00:00:00Z", "end": "2026-03-10T00:30:00Z"}]
    )
    start, end = utc(2026, 3, 9), utc(2026, 3, 11)
    gaps = check_coverage(r.expand(start, end), start, end).primary_gaps
    assert [(g.start, g.end) for g in gaps] == [(utc(2026, 3, 10), utc(2026, 3, 10, 0, 30))]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"overrides": [{"responder": "eve", "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}]},
         ["overrides.0", "names who it replaces"]),
        ({"overrides": [{"responder": "eve", "replaces": "eve", "role": "primary",
                         "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}]},
         ["cannot replace themselves"]),
        ({"time_off": [{"responder": "ana", "start": "2026-03-05T09:00", "end": "2026-03-04T09:00"}]},
         ["time_off.0", "must come after start"]),
        ({"time_off": [{"responder": "ana", "start": "2026-03-05T09:00", "end": "2026-03-05T13:00Z"}]},
         ["time_off.0", "must come after start"]),
        ({"swaps": [{"responders": ["ana", "ana"], "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}]},
         ["swaps.0", "two people"]),
        ({"swaps": [{"responders": ["ana"], "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}]},
         ["swaps.0.responders"]),
        ({"time_off": [{"responder": "", "start": "2026-03-04T09:00", "end": "2026-03-05T09:00"}]},
         ["time_off.0.responder"]),
        ({"overrides": [{"responder": "eve", "role": "primary", "start": "soon", "end": "2026-03-05T09:00"}]},
         ["overrides.0.start"]),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_naming_the_field(changes: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        roster(**changes)
    for word in words:
        assert word in str(caught.value)
