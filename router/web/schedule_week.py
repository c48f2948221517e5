"""The scheduler's week: shifts cut into local days and per-role blocks, with the week's coverage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from schedules import ROLES, CoverageReport, ResponderProfile, Role, Shift, coverage_report, to_utc

Source = Literal["published", "draft"]


@dataclass(frozen=True)
class Block:
    """One stretch of a day in one role with the same people on call; nobody means a gap."""

    start: datetime
    end: datetime
    responders: tuple[str, ...]

    @property
    def gap(self) -> bool:
        return not self.responders


@dataclass(frozen=True)
class Day:
    """A local calendar day: 23 or 25 hours long when the clocks change."""

    date: date
    start: datetime
    end: datetime
    lanes: dict[Role, list[Block]]

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Week:
    roster: str
    source: Source
    version: int | None
    timezone: str
    monday: date
    days: list[Day]
    report: CoverageReport

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return self.days[0].start

    @property
    def end(self) -> datetime:
        return self.days[-1].end


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day begins (where midnight is skipped, when the clocks jump)."""
    return to_utc(datetime.combine(day, time()), zone)


def week_window(monday: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    return midnight(monday, zone), midnight(monday + timedelta(days=7), zone)


def lane(shifts: Iterable[Shift], role: Role, start: datetime, end: datetime) -> list[Block]:
    """[start, end) cut wherever someone in `role` comes or goes; neighbours with the same people merge."""
    mine = [s for s in shifts if s.role == role and s.end > start and s.start < end]
    cuts = sorted(
        {start, end, *(s.start for s in mine if s.start > start), *(s.end for s in mine if s.end < end)}
    )
    blocks: list[Block] = []
    for a, b in pairwise(cuts):
        who = tuple(sorted({s.responder for s in mine if s.start <= a and s.end >= b}))
        if blocks and blocks[-1].responders == who:
            blocks[-1] = Block(blocks[-1].start, b, who)
        else:
            blocks.append(Block(a, b, who))
    return blocks


def build_week(
    shifts: Iterable[Shift],
    *,
    roster: str,
    source: Source,
    version: int | None,
    timezone: str,
    monday: date,
    profiles: Mapping[str, ResponderProfile],
) -> Week:
    """Seven local days of `shifts` and the coverage report over exactly that week."""
    zone = ZoneInfo(timezone)
    start, end = week_window(monday, timezone)
    inside = [s for s in shifts if s.end > start and s.start < end]
    days: list[Day] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        a, b = midnight(day, zone), midnight(day + timedelta(days=1), zone)
        days.append(Day(day, a, b, {role: lane(inside, role, a, b) for role in ROLES}))
    report = coverage_report(inside, start, end, profiles=profiles)
    return Week(roster, source, version, timezone, monday, days, report)
