"""Version diff: per-responder shifts added and removed, and the on-call time gained and lost."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from schedules import diff
from tests.schedules.helpers import shift, spans, utc

OLD = [
    shift("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 9)),
    shift("ben", "backup", utc(2026, 3, 2), utc(2026, 3, 9)),
    shift("cy", "supervisor", utc(2026, 3, 2), utc(2026, 3, 9)),
]


def test_an_override_tells_both_people_what_changed() -> None:
    new = [
        shift("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 4)),
        shift("eve", "primary", utc(2026, 3, 4), utc(2026, 3, 5)),
        shift("ana", "primary", utc(2026, 3, 5), utc(2026, 3, 9)),
        OLD[1],
        OLD[2],
    ]
    result = diff(OLD, new)
    assert result.affected == ["ana", "eve"]
    ana = result.for_responder("ana")
    assert ana is not None
    assert spans(ana.removed) == spans(OLD[:1])
    assert spans(ana.added) == [
        ("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 4)),
        ("ana", "primary", utc(2026, 3, 5), utc(2026, 3, 9)),
    ]
    assert ana.gained == []
    assert [(x.role, x.start, x.end) for x in ana.lost] == [("primary", utc(2026, 3, 4), utc(2026, 3, 5))]
    eve = result.for_responder("eve")
    assert eve is not None
    assert eve.describe("America/New_York") == [
        "now on call: primary Tue 2026-03-03 19:00 to Wed 2026-03-04 19:00 (America/New_York)"
    ]
    assert result.for_responder("ben") is None


def test_same_instants_in_other_offsets_are_no_change() -> None:
    moved = [s.model_copy(update={"start": s.start.astimezone(ZoneInfo("Asia/Tokyo"))}) for s in OLD]
    assert diff(OLD, moved).empty


def test_a_role_change_is_lost_in_one_role_and_gained_in_the_other() -> None:
    new = [shift("ana", "backup", utc(2026, 3, 2), utc(2026, 3, 9)), *OLD[1:]]
    ana = diff(OLD, new).for_responder("ana")
    assert ana is not None
    assert [(x.role, x.start, x.end) for x in ana.gained] == [("backup", utc(2026, 3, 2), utc(2026, 3, 9))]
    assert [(x.role, x.start, x.end) for x in ana.lost] == [("primary", utc(2026, 3, 2), utc(2026, 3, 9))]


def test_diff_within_a_window_ignores_changes_outside_it() -> None:
    new = [shift("ana", "primary", utc(2026, 3, 2), utc(2026, 3, 10)), *OLD[1:]]
    assert diff(OLD, new, utc(2026, 3, 2), utc(2026, 3, 9)).empty
    assert diff(OLD, new).affected == ["ana"]
