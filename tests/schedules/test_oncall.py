"""On-call resolution: lookups, shift changes, and the index sharing its tuples."""

from __future__ import annotations

from datetime import datetime

import pytest

from schedules import OnCall, OnCallIndex, on_call
from tests.schedules.helpers import shift, utc

SHIFTS = [
    shift("ben", "primary", utc(2026, 3, 2), utc(2026, 3, 3)),
    shift("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 2, 12)),
    shift("cy", "backup", utc(2026, 3, 2, 6), utc(2026, 3, 3)),
    shift("dee", "supervisor", utc(2026, 3, 1), utc(2026, 3, 4)),
    shift("ana", "backup", utc(2026, 3, 2, 20), utc(2026, 3, 3)),
]


def test_who_is_on_call_at_an_instant() -> None:
    index = OnCallIndex(SHIFTS)
    assert index.at(utc(2026, 3, 2, 7)) == OnCall(
        at=utc(2026, 3, 2, 7), primary=("ana", "ben"), backup=("cy",), supervisor=("dee",)
    )
    later = index.at(utc(2026, 3, 2, 21))
    assert (later.primary, later.backup) == (("ben",), ("cy", "ana"))
    assert later.everyone == ("ben", "cy", "ana", "dee")
    assert later.role("supervisor") == ("dee",)
    assert index.at(utc(2026, 2, 1)) == OnCall(at=utc(2026, 2, 1))
    assert index.at(utc(2026, 3, 5)) == OnCall(at=utc(2026, 3, 5))
    assert on_call(SHIFTS, utc(2026, 3, 2, 12)).primary == ("ben",)  # end is exclusive


def test_next_change_skips_boundaries_where_nobody_changes() -> None:
    back_to_back = [
        shift("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 3)),
        shift("ana", "primary", utc(2026, 3, 3), utc(2026, 3, 4)),
    ]
    index = OnCallIndex(back_to_back)
    assert index.next_change(utc(2026, 3, 1)) == utc(2026, 3, 2)
    assert index.next_change(utc(2026, 3, 2)) == utc(2026, 3, 4)
    assert index.next_change(utc(2026, 3, 4)) is None
    assert index.intervals == 2  # on, then off


def test_equal_name_tuples_are_stored_once() -> None:
    shifts = [shift("ana", "primary", utc(2026, 3, d), utc(2026, 3, d, 12)) for d in range(1, 20)]
    shifts += [shift("ben", "backup", utc(2026, 3, 1), utc(2026, 3, 21))]
    index = OnCallIndex(shifts)
    first, second = index.at(utc(2026, 3, 1, 1)), index.at(utc(2026, 3, 5, 1))
    assert first.primary is second.primary
    assert first.backup is index.at(utc(2026, 3, 5, 13)).backup


def test_lookup_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="time zone aware"):
        OnCallIndex(SHIFTS).at(datetime(2026, 3, 2, 7))


def test_empty_roster() -> None:
    index = OnCallIndex([])
    assert index.at(utc(2026, 3, 2)) == OnCall(at=utc(2026, 3, 2))
    assert index.next_change(utc(2026, 3, 2)) is None
