"""Rotations: participants taking turns in one role, laid out on the roster's wall clock."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from schedules.localtime import local_naive, to_utc
from schedules.shift import Role

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK = timedelta(days=7)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_FRIENDLY = re.compile(r"^\s*(?:\d+\s*[wdhm]\s*)+$", re.IGNORECASE)
# Shorter turns are not a roster but a mistake, and would make expansion cost a turn a minute.
MIN_TURN = timedelta(minutes=15)
# One expansion lays out at most this many turns (15-minute turns over 104 days, 8-hour ones over 9 years),
# and stops as soon as it would pass it: a request can never hold the event loop for long.
MAX_TURNS = 10_000


class TooManyTurns(ValueError):
    """The window asks for more turns than one expansion lays out."""

    def __init__(self, label: str, limit: int) -> None:
        super().__init__(
            f"{label} has more than {limit} turns in the window: shorten the window or lengthen the turns"
        )
        self.limit = limit


def _parse_length(value: Any) -> Any:
    """Accept '12h', '7d', '1w', '1h30m' as well as ISO 8601 ('PT12H') and seconds, for YAML authors."""
    if isinstance(value, str) and _FRIENDLY.match(value):
        seconds = sum(
            int(n) * _UNITS[u.lower()] for n, u in re.findall(r"(\d+)\s*([wdhm])", value, re.IGNORECASE)
        )
        return timedelta(seconds=seconds)
    return value


Length = Annotated[timedelta, BeforeValidator(_parse_length)]


class Rotation(BaseModel):
    """Participants in order, each on call for one turn, turns starting every `every` of wall-clock time.

    Turn k starts at `start` + `handoff` + k * `every` read on the roster's wall clock, so a
    09:00 handoff stays 09:00 local through DST changes, and lasts `shift_length` of wall-clock
    time (a 12-hour night across the spring-forward jump is 11 real hours). `days` keeps only
    turns that start on those weekdays; participants advance once per kept turn. One rotation
    is one layer: it fills one role.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=128)
    role: Role
    participants: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        min_length=1, max_length=500
    )
    start: date
    handoff: time = time(9, 0)
    shift_length: Length
    every: Length | None = None
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    until: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rotation:
        label = f"rotation {self.name!r}" if self.name else "rotation"
        if self.handoff.tzinfo is not None:
            raise ValueError(f"{label}: handoff is a wall-clock time in the roster's zone, without offset")
        for field, value in (("shift_length", self.shift_length), ("every", self.every)):
            if value is None:
                continue
            if value < timedelta(minutes=1) or value % timedelta(minutes=1):
                raise ValueError(f"{label}: {field} must be a positive whole number of minutes, got {value}")
            if value < MIN_TURN:
                raise ValueError(f"{label}: {field} must be at least 15 minutes, got {value}")
        if self.every is not None and self.every < self.shift_length:
            raise ValueError(
                f"{label}: every ({self.every}) is shorter than shift_length ({self.shift_length}), "
                "so turns would overlap: use a second rotation for a second person in the role"
            )
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"{label}: days lists a weekday twice")
        if self.until is not None and self.until <= self.start:
            raise ValueError(f"{label}: until ({self.until}) must come after start ({self.start})")
        return self

    @property
    def period(self) -> timedelta:
        return self.every if self.every is not None else self.shift_length

    @property
    def continuous(self) -> bool:
        """True when turns follow each other with no pause: the layer covers every instant."""
        return self.period == self.shift_length and len(self.days) == 7


@dataclass(frozen=True, slots=True)
class Turn:
    """One participant's turn: its wall-clock bounds and the instants they name."""

    rotation: str
    index: int
    responder: str
    role: Role
    local_start: datetime
    local_end: datetime
    start: datetime
    end: datetime

    @property
    def nominal(self) -> timedelta:
        return self.local_end - self.local_start

    @property
    def actual(self) -> timedelta:
        return self.end - self.start


class _Ordinals:
    """How many kept turns come before turn k, when `days` drops some turns.

    The weekday a turn starts on repeats every week/gcd(every, week) turns, so one period is
    counted once and whole periods are multiplied: a window ten years out costs the same.
    """

    def __init__(self, rotation: Rotation, base: datetime) -> None:
        self.all_days = len(rotation.days) == 7
        step, week = int(rotation.period.total_seconds()), int(WEEK.total_seconds())
        self.size = 1 if self.all_days else week // math.gcd(step, week)
        wanted = {WEEKDAYS.index(d) for d in rotation.days}
        self.kept = [(base + i * rotation.period).weekday() in wanted for i in range(self.size)]
        self.before = [0]
        for flag in self.kept:
            self.before.append(self.before[-1] + flag)

    def keeps(self, k: int) -> bool:
        return self.all_days or self.kept[k % self.size]

    def ordinal(self, k: int) -> int:
        if self.all_days:
            return k
        whole, rest = divmod(k, self.size)
        return whole * self.before[-1] + self.before[rest]


def turns(
    rotation: Rotation, zone: ZoneInfo, start: datetime, end: datetime, limit: int = MAX_TURNS
) -> list[Turn]:
    """Every turn of `rotation` that overlaps [start, end), whole (not clipped), in order.

    Raises TooManyTurns once more than `limit` turns (kept or not) have been looked at."""
    base = datetime.combine(rotation.start, rotation.handoff)
    stop = datetime.combine(rotation.until, rotation.handoff) if rotation.until else None
    period = rotation.period
    # A day of margin either side absorbs any UTC offset change; the instants are checked exactly below.
    lo_local = local_naive(start, zone) - rotation.shift_length - timedelta(days=1)
    hi_local = local_naive(end, zone) + timedelta(days=1)
    first = max(0, (lo_local - base) // period)
    ordinals = _Ordinals(rotation, base)
    found: list[Turn] = []
    k = first
    while True:
        local_start = base + k * period
        if local_start >= hi_local or (stop is not None and local_start >= stop):
            break
        if k - first >= limit:
            raise TooManyTurns(f"rotation {rotation.name!r}" if rotation.name else "a rotation", limit)
        if ordinals.keeps(k):
            local_end = local_start + rotation.shift_length
            if stop is not None:
                local_end = min(local_end, stop)
            t_start, t_end = to_utc(local_start, zone), to_utc(local_end, zone)
            if t_start < end and t_end > start:
                who = rotation.participants[ordinals.ordinal(k) % len(rotation.participants)]
                found.append(
                    Turn(rotation.name, k, who, rotation.role, local_start, local_end, t_start, t_end)
                )
        k += 1
    return found
