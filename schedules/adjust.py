"""Changes laid over the rotation: overrides, swaps between two responders, and time off."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schedules.localtime import resolve
from schedules.shift import Role, Shift

ResponderId = Annotated[str, Field(min_length=1, max_length=128)]


class _Range(BaseModel):
    """[start, end); a time without a UTC offset is wall-clock time in the roster's zone."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        # Compare like with like: two naive or two aware times (a mix is checked once the zone is known).
        if (self.start.tzinfo is None) == (self.end.tzinfo is None) and self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must come after start ({self.start.isoformat()})")
        return self

    def instants(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start, end = resolve(self.start, zone), resolve(self.end, zone)
        if end <= start:
            raise ValueError(f"end ({self.end.isoformat()}) must come after start ({self.start.isoformat()})")
        return start, end


class Override(_Range):
    """`responder` takes over [start, end): from `replaces` (their shifts there), or the whole `role`."""

    responder: ResponderId
    replaces: ResponderId | None = None
    role: Role | None = None
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _says_from_whom(self) -> Override:
        if self.replaces is None and self.role is None:
            raise ValueError(
                "an override names who it replaces (replaces) or which role it takes over (role)"
            )
        if self.replaces == self.responder:
            raise ValueError(f"override: {self.responder!r} cannot replace themselves")
        return self


class Swap(_Range):
    """Two responders exchange every shift they hold in [start, end) (optionally only in `role`)."""

    responders: tuple[ResponderId, ResponderId]
    role: Role | None = None
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _two_people(self) -> Swap:
        if self.responders[0] == self.responders[1]:
            raise ValueError(f"swap: responders must be two people, got {self.responders[0]!r} twice")
        return self


class TimeOff(_Range):
    """`responder` is unavailable for [start, end): their shifts there are cut, leaving a gap to fill."""

    responder: ResponderId
    reason: str = Field(default="", max_length=500)


def _split(
    shifts: Iterable[Shift], start: datetime, end: datetime, pick: Callable[[Shift], bool]
) -> tuple[list[Shift], list[Shift]]:
    """Cut picked shifts at start and end: (pieces outside or not picked, picked pieces inside)."""
    kept: list[Shift] = []
    inside: list[Shift] = []
    for s in shifts:
        if not pick(s) or s.end <= start or s.start >= end:
            kept.append(s)
            continue
        if s.start < start:
            kept.append(s.model_copy(update={"end": start}))
        if s.end > end:
            kept.append(s.model_copy(update={"start": end}))
        inside.append(s.model_copy(update={"start": max(s.start, start), "end": min(s.end, end)}))
    return kept, inside


def _role_ok(role: Role | None) -> Callable[[Shift], bool]:
    return lambda s: role is None or s.role == role


def apply_swap(shifts: list[Shift], swap: Swap, zone: ZoneInfo) -> list[Shift]:
    start, end = swap.instants(zone)
    a, b = swap.responders
    other = {a: b, b: a}
    match = _role_ok(swap.role)
    kept, inside = _split(shifts, start, end, lambda s: s.responder in other and match(s))
    return kept + [s.model_copy(update={"responder": other[s.responder]}) for s in inside]


def apply_override(shifts: list[Shift], override: Override, zone: ZoneInfo) -> list[Shift]:
    start, end = override.instants(zone)
    match = _role_ok(override.role)
    if override.replaces is not None:
        gone = override.replaces
        kept, inside = _split(shifts, start, end, lambda s: s.responder == gone and match(s))
        return kept + [s.model_copy(update={"responder": override.responder}) for s in inside]
    role = override.role
    if role is None:  # the model already refuses this; kept so the type is narrowed honestly
        raise ValueError("an override names who it replaces (replaces) or the role it takes over (role)")
    kept, _ = _split(shifts, start, end, match)
    return [*kept, Shift(responder=override.responder, role=role, start=start, end=end)]


def apply_time_off(shifts: list[Shift], off: TimeOff, zone: ZoneInfo) -> list[Shift]:
    start, end = off.instants(zone)
    kept, _ = _split(shifts, start, end, lambda s: s.responder == off.responder)
    return kept
