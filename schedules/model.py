"""Rosters as data: drafts with shifts, rotations and changes, their expansion, and published versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schedules.adjust import Override, Swap, TimeOff, apply_override, apply_swap, apply_time_off
from schedules.rotation import MAX_TURNS, Rotation, TooManyTurns, Turn, turns
from schedules.shift import ROLES, Coverage, Gap, Rating, Role, Shift

__all__ = [
    "ROLES",
    "Coverage",
    "Gap",
    "IrregularShift",
    "Rating",
    "Role",
    "Roster",
    "RosterVersion",
    "Shift",
    "expand",
    "expand_with_notes",
    "irregular_shifts",
]


def known_zone(value: str) -> str:
    """An IANA time zone name, or a clear error saying what to write."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name like America/New_York") from exc
    return value


class Roster(BaseModel):
    """A roster draft as the scheduler wrote it, in its own time zone.

    Expansion order: explicit shifts and rotation turns, then swaps, then overrides (in list
    order, a later one wins), then time off last, so time off always opens a visible gap
    unless an override names someone else for that time.
    """

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default="UTC", max_length=64)
    shifts: list[Shift] = Field(default_factory=list)  # bounded by the body size; imports add many
    rotations: list[Rotation] = Field(default_factory=list, max_length=50)
    overrides: list[Override] = Field(default_factory=list, max_length=2000)
    swaps: list[Swap] = Field(default_factory=list, max_length=2000)
    time_off: list[TimeOff] = Field(default_factory=list, max_length=2000)

    _known_zone = field_validator("timezone")(staticmethod(known_zone))

    @model_validator(mode="after")
    def _ranges_in_zone(self) -> Roster:
        # A range mixing a naive and an aware end can only be ordered once the zone is known.
        zone = self.zone
        for field, items in (
            ("overrides", self.overrides),
            ("swaps", self.swaps),
            ("time_off", self.time_off),
        ):
            for i, item in enumerate(items):
                try:
                    item.instants(zone)
                except ValueError as exc:
                    raise ValueError(f"{field}.{i}: {exc}") from exc
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def expand(self, start: datetime, end: datetime) -> list[Shift]:
        """Concrete shifts (UTC) over [start, end), clipped to the window, sorted by start."""
        return expand(self, start, end)


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a window needs time zone aware start and end")
    if end <= start:
        raise ValueError(f"window end ({end.isoformat()}) must come after start ({start.isoformat()})")
    return start.astimezone(UTC), end.astimezone(UTC)


def _budget(used: int) -> int:
    """Turns one more rotation may lay out: all the roster's rotations together stay within MAX_TURNS."""
    if used >= MAX_TURNS:
        raise TooManyTurns("the roster", MAX_TURNS)
    return MAX_TURNS - used


def _turn_shift(turn: Turn) -> Shift | None:
    if turn.end <= turn.start:  # a turn wholly inside a skipped hour has no instants
        return None
    return Shift(responder=turn.responder, role=turn.role, start=turn.start, end=turn.end)


def expand(roster: Roster, start: datetime, end: datetime) -> list[Shift]:
    """Concrete shifts (UTC) over [start, end), clipped to the window, sorted by start."""
    return expand_with_notes(roster, start, end)[0]


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _holds(shifts: list[Shift], who: str, role: Role | None, start: datetime, end: datetime) -> bool:
    return any(
        s.responder == who and (role is None or s.role == role) and s.start < end and s.end > start
        for s in shifts
    )


def expand_with_notes(roster: Roster, start: datetime, end: datetime) -> tuple[list[Shift], list[str]]:
    """`expand`, plus a note for each swap or override inside the window that changed nothing.

    Such a change is almost always a misspelt name or a wrong date, and it would otherwise
    pass silently while the scheduler believes the shift is covered.
    """
    start, end = check_window(start, end)
    zone = roster.zone
    notes: list[str] = []
    found: list[Shift] = [
        s.model_copy(update={"start": s.start.astimezone(UTC), "end": s.end.astimezone(UTC)})
        for s in roster.shifts
    ]
    laid = 0
    for rotation in roster.rotations:
        rotation_turns = turns(rotation, zone, start, end, _budget(laid))
        laid += len(rotation_turns)
        for turn in rotation_turns:
            shift = _turn_shift(turn)
            if shift is not None:
                found.append(shift)
    for i, swap in enumerate(roster.swaps):
        a, b = swap.instants(zone)
        if a < end and b > start and not any(_holds(found, who, swap.role, a, b) for who in swap.responders):
            notes.append(
                f"swaps.{i}: neither {swap.responders[0]!r} nor {swap.responders[1]!r} holds a shift "
                f"from {_local(a, zone)} to {_local(b, zone)}, so the swap changes nothing"
            )
        found = apply_swap(found, swap, zone)
    for i, override in enumerate(roster.overrides):
        a, b = override.instants(zone)
        gone = override.replaces
        if gone is not None and a < end and b > start and not _holds(found, gone, override.role, a, b):
            notes.append(
                f"overrides.{i}: {gone!r} holds no shift from {_local(a, zone)} to {_local(b, zone)}, "
                f"so {override.responder!r} takes over nothing"
            )
        found = apply_override(found, override, zone)
    for off in roster.time_off:
        found = apply_time_off(found, off, zone)
    clipped = [
        s.model_copy(update={"start": max(s.start, start), "end": min(s.end, end)})
        for s in found
        if s.end > start and s.start < end
    ]
    return sorted(clipped, key=lambda s: (s.start, s.end, ROLES.index(s.role), s.responder)), notes


class IrregularShift(BaseModel):
    """A rotation turn whose real length differs from its wall-clock length (a DST change inside it)."""

    model_config = ConfigDict(frozen=True)

    rotation: str
    responder: str
    role: Role
    local_start: datetime
    local_end: datetime
    start: datetime
    end: datetime
    nominal: timedelta
    actual: timedelta

    @property
    def difference(self) -> timedelta:
        return self.actual - self.nominal

    def describe(self, timezone: str) -> str:
        hours = self.actual.total_seconds() / 3600
        nominal = self.nominal.total_seconds() / 3600
        return (
            f"{self.role} shift of {self.responder} from {self.local_start:%Y-%m-%d %H:%M} to "
            f"{self.local_end:%Y-%m-%d %H:%M} ({timezone}) lasts {hours:g} h, not {nominal:g} h"
        )


def irregular_shifts(roster: Roster, start: datetime, end: datetime) -> list[IrregularShift]:
    """Rotation turns overlapping the window whose real length is not their nominal length."""
    start, end = check_window(start, end)
    zone = roster.zone
    found: list[IrregularShift] = []
    seen = 0
    for i, rotation in enumerate(roster.rotations):
        laid = turns(rotation, zone, start, end, _budget(seen))
        seen += len(laid)
        for t in laid:
            if t.actual != t.nominal:
                found.append(
                    IrregularShift(
                        rotation=rotation.name or f"rotations.{i}",
                        responder=t.responder,
                        role=t.role,
                        local_start=t.local_start,
                        local_end=t.local_end,
                        start=t.start,
                        end=t.end,
                        nominal=t.nominal,
                        actual=t.actual,
                    )
                )
    return sorted(found, key=lambda x: (x.start, ROLES.index(x.role)))


class RosterVersion(BaseModel):
    """An immutable published roster: what routing obeys from `published_at` on."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    timezone: str
    shifts: tuple[Shift, ...]
    window_start: datetime
    window_end: datetime
    published_at: datetime
    published_by: str
    forced: bool = False
    reason: str | None = None
