"""Weekly time-of-day windows in the hotline's own time zone (open hours, night rules)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Literal

from pydantic import field_serializer, field_validator, model_validator

from protocols.base import Problem, Strict

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def _minutes(value: object) -> int:
    # YAML 1.1 reads an unquoted 22:00 as the sexagesimal number 1320; accept it as minutes.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1440:
        return value
    m = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
    if not m or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise ValueError(f'{value!r} is not a clock time: write it like "08:00" or "22:30" (24-hour)')
    return int(m.group(1)) * 60 + int(m.group(2))


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class TimeWindow(Strict):
    """`days` from `start` to `end` (hotline-local); a window past midnight ends the next morning."""

    days: list[Day] = list(DAYS)
    start: int
    end: int

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> int:
        return _minutes(value)

    @field_serializer("start", "end")
    def _as_clock(self, minutes: int) -> str:
        return clock(minutes)

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start == self.end:
            raise Problem(
                ("end",), "a window cannot start and end at the same time; for all day use 00:00-24:00"
            )
        if self.start == 1440:
            raise Problem(("start",), "a window cannot start at 24:00; start it at 00:00")
        if not self.days:
            raise Problem(("days",), "a window needs at least one day: mon, tue, wed, thu, fri, sat, sun")
        return self

    def contains(self, local: datetime) -> bool:
        """True if the hotline-local instant falls inside this window."""
        minute = local.hour * 60 + local.minute
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local.weekday() - 1) % 7]
        if self.start < self.end:
            return today in self.days and self.start <= minute < self.end
        # Past midnight: the evening part belongs to today, the morning part to yesterday's window.
        return (today in self.days and minute >= self.start) or (yesterday in self.days and minute < self.end)

    def describe(self) -> str:
        days = "every day" if set(self.days) == set(DAYS) else ", ".join(DAY_NAMES[d] for d in self.days)
        overnight = " (overnight)" if self.end <= self.start else ""
        return f"{days} {clock(self.start)}-{clock(self.end)}{overnight}"


def localize(at: datetime, zone: tzinfo) -> datetime:
    """Aware instants move to the hotline's zone; naive ones are taken as hotline-local already."""
    return at.astimezone(zone) if at.tzinfo is not None else at


def within(windows: list[TimeWindow], local: datetime) -> bool:
    return any(w.contains(local) for w in windows)
