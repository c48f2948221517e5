"""What changed between two roster versions, per responder, so each can be told about their own shifts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from schedules.shift import ROLES, Role, Shift

Span = tuple[datetime, datetime]
Key = tuple[str, Role, datetime, datetime]


class RoleSpan(BaseModel):
    """A stretch of on-call time in one role."""

    model_config = ConfigDict(frozen=True)

    role: Role
    start: datetime
    end: datetime


class ResponderChanges(BaseModel):
    """One responder's side of a diff: shifts added and removed, and the on-call time gained and lost.

    Shifts answer "which entries changed"; gained and lost answer "when am I now on or off call",
    so a shift that merely moved its end by an hour reads as one hour gained or lost.
    """

    responder: str
    added: list[Shift]
    removed: list[Shift]
    gained: list[RoleSpan]
    lost: list[RoleSpan]

    def describe(self, timezone: str = "UTC") -> list[str]:
        """Lines a notifier can send as they are, times in the roster's zone."""
        zone = ZoneInfo(timezone)

        def when(span: RoleSpan) -> str:
            a, b = span.start.astimezone(zone), span.end.astimezone(zone)
            return f"{span.role} {a:%a %Y-%m-%d %H:%M} to {b:%a %Y-%m-%d %H:%M} ({timezone})"

        return [f"now on call: {when(s)}" for s in self.gained] + [
            f"no longer on call: {when(s)}" for s in self.lost
        ]


class RosterDiff(BaseModel):
    """Changes keyed by responder; only responders with a change appear."""

    changes: dict[str, ResponderChanges]

    @property
    def affected(self) -> list[str]:
        return sorted(self.changes)

    @property
    def empty(self) -> bool:
        return not self.changes

    def for_responder(self, responder: str) -> ResponderChanges | None:
        return self.changes.get(responder)


def _union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _subtract(these: list[Span], those: list[Span]) -> list[Span]:
    """Parts of `these` not inside `those` (both sorted and disjoint)."""
    found: list[Span] = []
    j = 0
    for a, b in these:
        cursor = a
        while j < len(those) and those[j][1] <= cursor:
            j += 1
        k = j
        while k < len(those) and those[k][0] < b:
            if those[k][0] > cursor:
                found.append((cursor, those[k][0]))
            cursor = max(cursor, those[k][1])
            k += 1
        if cursor < b:
            found.append((cursor, b))
    return found


def _clip(shifts: Iterable[Shift], start: datetime | None, end: datetime | None) -> list[Shift]:
    out: list[Shift] = []
    for s in shifts:
        a = s.start if start is None else max(s.start, start)
        b = s.end if end is None else min(s.end, end)
        if a < b:
            out.append(s if (a, b) == (s.start, s.end) else s.model_copy(update={"start": a, "end": b}))
    return out


def _shifts(keys: list[Key]) -> list[Shift]:
    return [Shift(responder=k[0], role=k[1], start=k[2], end=k[3]) for k in sorted(keys, key=lambda k: k[2:])]


def diff(
    old: Iterable[Shift],
    new: Iterable[Shift],
    start: datetime | None = None,
    end: datetime | None = None,
) -> RosterDiff:
    """Per-responder changes from `old` to `new`, optionally only within [start, end)."""
    before = Counter(s.key() for s in _clip(old, start, end))
    after = Counter(s.key() for s in _clip(new, start, end))
    added = after - before
    removed = before - after
    people = {k[0] for k in added} | {k[0] for k in removed}
    spans_old: dict[tuple[str, Role], list[Span]] = defaultdict(list)
    spans_new: dict[tuple[str, Role], list[Span]] = defaultdict(list)
    for key in before:
        if key[0] in people:
            spans_old[(key[0], key[1])].append((key[2], key[3]))
    for key in after:
        if key[0] in people:
            spans_new[(key[0], key[1])].append((key[2], key[3]))
    added_by: dict[str, list[Key]] = defaultdict(list)
    removed_by: dict[str, list[Key]] = defaultdict(list)
    for key in added.elements():
        added_by[key[0]].append(key)
    for key in removed.elements():
        removed_by[key[0]].append(key)
    changes: dict[str, ResponderChanges] = {}
    for person in sorted(people):
        gained: list[RoleSpan] = []
        lost: list[RoleSpan] = []
        for role in ROLES:
            was, now = _union(spans_old[(person, role)]), _union(spans_new[(person, role)])
            gained += [RoleSpan(role=role, start=a, end=b) for a, b in _subtract(now, was)]
            lost += [RoleSpan(role=role, start=a, end=b) for a, b in _subtract(was, now)]

        changes[person] = ResponderChanges(
            responder=person,
            added=_shifts(added_by[person]),
            removed=_shifts(removed_by[person]),
            gained=sorted(gained, key=lambda s: s.start),
            lost=sorted(lost, key=lambda s: s.start),
        )
    return RosterDiff(changes=changes)
