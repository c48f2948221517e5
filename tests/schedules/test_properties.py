"""Hypothesis properties: expansion tiles time exactly, and derived views agree with brute force."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from schedules import (
    ROLES,
    WEEKDAYS,
    OnCallIndex,
    Override,
    Roster,
    Rotation,
    Shift,
    TimeOff,
    diff,
    gaps,
    to_utc,
    turns,
)
from tests.schedules.helpers import PROPERTY

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # half-hour DST change
    "Australia/Sydney",
    "America/St_Johns",
    "Asia/Kolkata",
    "Pacific/Chatham",
]
PEOPLE = ["ana", "ben", "cy", "dee", "eve"]


@st.composite
def rotations(draw: st.DrawFn, continuous: bool) -> Rotation:
    length = timedelta(minutes=draw(st.integers(15, 14 * 24 * 60)))
    every = length if continuous else length + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    days = (
        list(WEEKDAYS) if continuous else draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True))
    )
    return Rotation(
        role=draw(st.sampled_from(ROLES)),
        participants=draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5, unique=True)),
        start=draw(st.dates(date(2025, 1, 1), date(2026, 12, 31))),
        handoff=time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
        shift_length=length,
        every=every,
        days=days,
    )


# Days the clocks change in the zones above, so windows land on them far more often than by chance.
CHANGES = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25),
           date(2026, 4, 5), date(2026, 10, 4), date(2026, 9, 27)]  # fmt: skip


@st.composite
def windows(draw: st.DrawFn, near: date) -> tuple[datetime, datetime]:
    if draw(st.booleans()):
        base = datetime.combine(draw(st.sampled_from(CHANGES)), time(0), tzinfo=UTC)
        start = base + timedelta(minutes=draw(st.integers(-3 * 1440, 2 * 1440)))
        return start, start + timedelta(minutes=draw(st.integers(1, 5 * 1440)))
    base = datetime.combine(near, time(0), tzinfo=UTC)
    start = base + timedelta(minutes=draw(st.integers(-5 * 1440, 400 * 1440)))
    return start, start + timedelta(minutes=draw(st.integers(1, 20 * 1440)))


@PROPERTY
@given(st.sampled_from(ZONES), rotations(continuous=True), st.data())
def test_a_continuous_layer_covers_every_instant_exactly_once(
    zone: str, rot: Rotation, data: st.DataObject
) -> None:
    start, end = data.draw(windows(rot.start))
    roster = Roster(timezone=zone, rotations=[rot])
    got = roster.expand(start, end)
    begins = max(start, to_utc(datetime.combine(rot.start, rot.handoff), ZoneInfo(zone)))
    if begins >= end:
        assert got == []
        return
    assert got[0].start == begins
    assert got[-1].end == end
    for before, after in itertools.pairwise(got):
        assert before.end == after.start  # no hole, no overlap
    assert sum((s.end - s.start for s in got), timedelta()) == end - begins


@PROPERTY
@given(st.sampled_from(ZONES), rotations(continuous=True), st.data())
def test_turns_follow_the_participants_in_order(zone: str, rot: Rotation, data: st.DataObject) -> None:
    start, end = data.draw(windows(rot.start))
    found = turns(rot, ZoneInfo(zone), start, end)
    for t in found:
        assert t.responder == rot.participants[t.index % len(rot.participants)]
        assert t.nominal == rot.shift_length
    assert (
        [t.index for t in found] == list(range(found[0].index, found[0].index + len(found)))
        if found
        else True
    )


@PROPERTY
@given(
    st.sampled_from(ZONES),
    st.lists(rotations(continuous=False), min_size=1, max_size=3),
    st.data(),
)
def test_splitting_the_window_neither_drops_nor_doubles_a_shift(
    zone: str, rots: list[Rotation], data: st.DataObject
) -> None:
    start, end = data.draw(windows(rots[0].start))
    cut = start + (end - start) * data.draw(st.floats(0.01, 0.99))
    cut = cut.replace(microsecond=0)
    if not start < cut < end:
        return
    roster = Roster(timezone=zone, rotations=rots)
    whole: list[Shift] = []
    for s in roster.expand(start, end):
        if s.start < cut < s.end:
            whole += [s.model_copy(update={"end": cut}), s.model_copy(update={"start": cut})]
        else:
            whole.append(s)
    parts = roster.expand(start, cut) + roster.expand(cut, end)
    assert Counter(s.key() for s in whole) == Counter(s.key() for s in parts)


shift_strategy = st.builds(
    lambda who, role, a, n: Shift(
        responder=who,
        role=role,
        start=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=a),
        end=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=a + n),
    ),
    st.sampled_from(PEOPLE),
    st.sampled_from(ROLES),
    st.integers(0, 2000),
    st.integers(1, 600),
)


@PROPERTY
@given(st.lists(shift_strategy, max_size=40), st.lists(st.integers(-100, 2700), min_size=1, max_size=20))
def test_on_call_index_agrees_with_brute_force(shifts: list[Shift], minutes: list[int]) -> None:
    index = OnCallIndex(shifts)
    for m in minutes:
        t = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=m, seconds=m % 7)
        got = index.at(t)
        for role in ROLES:
            covering = sorted((s.start, s.responder) for s in shifts if s.role == role and s.covers(t))
            assert got.role(role) == tuple(dict.fromkeys(who for _, who in covering))
        nxt = index.next_change(t)
        later = [b for s in shifts for b in (s.start, s.end) if b > t]
        if nxt is None:
            assert all(_roles(index.at(b)) == _roles(got) for b in later)
        else:
            assert nxt > t and nxt in later
            assert _roles(index.at(nxt)) != _roles(got)  # something really changes there
            assert all(_roles(index.at(b)) == _roles(got) for b in later if b < nxt)


def _roles(oncall: object) -> tuple[object, ...]:
    return tuple(getattr(oncall, r) for r in ROLES)


@PROPERTY
@given(st.lists(shift_strategy, max_size=30), st.lists(shift_strategy, max_size=30), st.integers(-10, 2700))
def test_diff_rebuilds_the_new_version_and_its_time(old: list[Shift], new: list[Shift], minute: int) -> None:
    result = diff(old, new)
    rebuilt = Counter(s.key() for s in old)
    for change in result.changes.values():
        rebuilt -= Counter(s.key() for s in change.removed)
        rebuilt += Counter(s.key() for s in change.added)
    assert rebuilt == Counter(s.key() for s in new)
    t = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    for person in PEOPLE:
        for role in ROLES:
            was = any(s.covers(t) for s in old if (s.responder, s.role) == (person, role))
            now = any(s.covers(t) for s in new if (s.responder, s.role) == (person, role))
            mine = result.for_responder(person)
            gained = mine is not None and any(g.role == role and g.start <= t < g.end for g in mine.gained)
            lost = mine is not None and any(g.role == role and g.start <= t < g.end for g in mine.lost)
            assert (gained, lost) == (now and not was, was and not now)


@PROPERTY
@given(st.sampled_from(ZONES), rotations(continuous=True), st.data())
def test_time_off_removes_exactly_that_person_and_range(
    zone: str, rot: Rotation, data: st.DataObject
) -> None:
    start, end = data.draw(windows(rot.start))
    off_start = start + (end - start) * data.draw(st.floats(0, 0.9))
    off = TimeOff(responder=rot.participants[0], start=off_start, end=off_start + timedelta(hours=5))
    before = Roster(timezone=zone, rotations=[rot]).expand(start, end)
    after = Roster(timezone=zone, rotations=[rot], time_off=[off]).expand(start, end)
    off_end = off.end
    for s in after:
        assert s.responder != off.responder or s.end <= off_start or s.start >= off_end
    others = [s.key() for s in before if s.responder != off.responder]
    assert [s.key() for s in after if s.responder != off.responder] == others
    kept = sum((s.end - s.start for s in after), timedelta())
    removed = sum(
        (
            max(timedelta(), min(s.end, off_end) - max(s.start, off_start))
            for s in before
            if s.responder == off.responder
        ),
        timedelta(),
    )
    assert kept == sum((s.end - s.start for s in before), timedelta()) - removed


@PROPERTY
@given(st.sampled_from(ZONES), rotations(continuous=True), st.sampled_from(PEOPLE), st.data())
def test_an_override_moves_time_between_people_without_changing_coverage(
    zone: str, rot: Rotation, taker: str, data: st.DataObject
) -> None:
    start, end = data.draw(windows(rot.start))
    at = start + (end - start) * data.draw(st.floats(0, 0.9))
    victim = rot.participants[-1]
    if taker == victim:
        return
    override = Override(responder=taker, replaces=victim, start=at, end=at + timedelta(hours=30))
    before = Roster(timezone=zone, rotations=[rot]).expand(start, end)
    after = Roster(timezone=zone, rotations=[rot], overrides=[override]).expand(start, end)

    def covered(shifts: list[Shift]) -> list[tuple[datetime, datetime]]:
        return [(g.start, g.end) for g in gaps(shifts, rot.role, start, end)]

    assert covered(after) == covered(before)
    assert not any(s.responder == victim and s.start < override.end and s.end > at for s in after)
