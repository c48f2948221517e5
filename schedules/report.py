"""The scheduler's coverage report: gaps, language and skill cover, double bookings, long stretches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from schedules.coverage import check_coverage, covered_fraction, gaps, uncovered
from schedules.model import IrregularShift, Roster, check_window, expand_with_notes, irregular_shifts
from schedules.shift import ROLES, Gap, Rating, Role, Shift

DEFAULT_MAX_STRETCH = timedelta(hours=24)


class ResponderProfile(BaseModel):
    """What a responder brings to a contact: languages spoken and skills (free-form tags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()


class AttributeCoverage(BaseModel):
    """How much of the window has someone with one language or skill on call, and when nobody does."""

    kind: Literal["language", "skill"]
    value: str
    fraction: float
    gaps: list[Gap]


class DoubleBooking(BaseModel):
    """One responder holding two roles at once, for [start, end)."""

    responder: str
    roles: tuple[Role, Role]
    start: datetime
    end: datetime


class LongStretch(BaseModel):
    """A continuous on-call stretch longer than the self-care limit (Standard 21)."""

    responder: str
    start: datetime
    end: datetime
    length: timedelta


class CoverageReport(BaseModel):
    """Everything a scheduler needs to see about a window before publishing it."""

    start: datetime
    end: datetime
    rating: Rating
    primary_gaps: list[Gap]
    backup_gaps: list[Gap]
    supervisor_gaps: list[Gap]
    primary_fraction: float
    backup_fraction: float
    languages: list[AttributeCoverage] = Field(default_factory=list)
    skills: list[AttributeCoverage] = Field(default_factory=list)
    double_bookings: list[DoubleBooking] = Field(default_factory=list)
    max_stretch: timedelta = DEFAULT_MAX_STRETCH
    long_stretches: list[LongStretch] = Field(default_factory=list)
    irregular_shifts: list[IrregularShift] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def summary(self, timezone: str = "UTC") -> list[str]:
        """The report as lines a scheduler reads, times local to `timezone` with their zone abbreviation."""
        zone = ZoneInfo(timezone)

        def at(when: datetime) -> str:
            return when.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")

        def gap(g: Gap) -> str:
            return f"{at(g.start)} to {at(g.end)} ({g.minutes:g} min)"

        lines = [
            f"rating {self.rating}: primary covered {self.primary_fraction:.1%}, "
            f"backup covered {self.backup_fraction:.1%} of {at(self.start)} to {at(self.end)}"
        ]
        lines += [f"primary gap {gap(g)}" for g in self.primary_gaps]
        lines += [f"backup gap {gap(g)}" for g in self.backup_gaps]
        for c in (*self.languages, *self.skills):
            listed = ", ".join(gap(g) for g in c.gaps[:5])
            more = f" and {len(c.gaps) - 5} more" if len(c.gaps) > 5 else ""
            lines.append(
                f"{c.kind} {c.value}: on call {c.fraction:.0%} of the window"
                + (f"; gaps: {listed}{more}" if c.gaps else "")
            )
        lines += [
            f"{b.responder} is {b.roles[0]} and {b.roles[1]} at once from {at(b.start)} to {at(b.end)}"
            for b in self.double_bookings
        ]
        limit = self.max_stretch.total_seconds() / 3600
        lines += [
            f"{x.responder} is on call {x.length.total_seconds() / 3600:g} h in a row from {at(x.start)} "
            f"to {at(x.end)} (limit {limit:g} h)"
            for x in self.long_stretches
        ]
        lines += [i.describe(timezone) for i in self.irregular_shifts]
        return lines + self.notes


def _norm(tag: str) -> str:
    return tag.strip().casefold()


def attribute_coverage(
    shifts: Iterable[Shift],
    profiles: Mapping[str, ResponderProfile],
    kind: Literal["language", "skill"],
    value: str,
    start: datetime,
    end: datetime,
    roles: Sequence[Role] = ("primary", "backup"),
) -> AttributeCoverage:
    """Share of [start, end) with someone on call in `roles` who has the language or skill."""
    wanted = _norm(value)

    def has(responder: str) -> bool:
        profile = profiles.get(responder)
        if profile is None:
            return False
        tags = profile.languages if kind == "language" else profile.skills
        return wanted in {_norm(t) for t in tags}

    spans = ((s.start, s.end) for s in shifts if s.role in roles and has(s.responder))
    found = uncovered(spans, start, end)
    return AttributeCoverage(kind=kind, value=value, fraction=covered_fraction(found, start, end), gaps=found)


def double_bookings(shifts: Iterable[Shift]) -> list[DoubleBooking]:
    """Every time a responder holds two different roles at once (one person cannot be their own backup)."""
    by_person: dict[str, list[Shift]] = defaultdict(list)
    for s in shifts:
        by_person[s.responder].append(s)
    found: list[DoubleBooking] = []
    for person, mine in sorted(by_person.items()):
        mine.sort(key=lambda s: s.start)
        active: list[Shift] = []
        for s in mine:
            active = [a for a in active if a.end > s.start]
            for a in active:
                if a.role != s.role:
                    pair = tuple(sorted((a.role, s.role), key=ROLES.index))
                    roles: tuple[Role, Role] = (pair[0], pair[1])
                    found.append(
                        DoubleBooking(responder=person, roles=roles, start=s.start, end=min(a.end, s.end))
                    )
            active.append(s)
    return _merge_bookings(found)


def _merge_bookings(found: list[DoubleBooking]) -> list[DoubleBooking]:
    """Join overlaps of the same person and roles that touch, so one clash reads as one line."""
    merged: list[DoubleBooking] = []
    for b in sorted(found, key=lambda b: (b.responder, b.roles, b.start)):
        last = merged[-1] if merged else None
        if last and (last.responder, last.roles) == (b.responder, b.roles) and b.start <= last.end:
            merged[-1] = last.model_copy(update={"end": max(last.end, b.end)})
        else:
            merged.append(b)
    return sorted(merged, key=lambda b: (b.start, b.responder))


def long_stretches(
    shifts: Iterable[Shift],
    limit: timedelta = DEFAULT_MAX_STRETCH,
    min_rest: timedelta = timedelta(0),
) -> list[LongStretch]:
    """Continuous on-call time (any role) longer than `limit`; a break shorter than `min_rest` is no rest."""
    by_person: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in shifts:
        by_person[s.responder].append((s.start, s.end))
    found: list[LongStretch] = []
    for person, spans in by_person.items():
        spans.sort()
        merged: list[tuple[datetime, datetime]] = []
        for a, b in spans:
            rest = a - merged[-1][1] if merged else None
            if rest is not None and (rest <= timedelta(0) or rest < min_rest):
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        found.extend(
            LongStretch(responder=person, start=a, end=b, length=b - a) for a, b in merged if b - a > limit
        )
    return sorted(found, key=lambda x: (x.start, x.responder))


def coverage_report(
    shifts: Iterable[Shift],
    start: datetime,
    end: datetime,
    *,
    profiles: Mapping[str, ResponderProfile] | None = None,
    languages: Sequence[str] = (),
    skills: Sequence[str] = (),
    attribute_roles: Sequence[Role] = ("primary", "backup"),
    max_stretch: timedelta = DEFAULT_MAX_STRETCH,
    min_rest: timedelta = timedelta(0),
    irregular: Sequence[IrregularShift] = (),
    notes: Sequence[str] = (),
) -> CoverageReport:
    """The full report over [start, end) for concrete shifts (for example `roster.expand(start, end)`).

    `languages` and `skills` default to every one found in `profiles` for a responder on the roster.
    """
    shift_list = list(shifts)
    profiles = profiles or {}
    basic = check_coverage(shift_list, start, end)
    rostered = {s.responder for s in shift_list}
    if not languages:
        languages = sorted({_norm(t) for r in rostered if r in profiles for t in profiles[r].languages})
    if not skills:
        skills = sorted({_norm(t) for r in rostered if r in profiles for t in profiles[r].skills})
    inside = [s for s in shift_list if s.end > start and s.start < end]
    return CoverageReport(
        start=start,
        end=end,
        rating=basic.rating,
        primary_gaps=basic.primary_gaps,
        backup_gaps=basic.backup_gaps,
        supervisor_gaps=gaps(shift_list, "supervisor", start, end),
        primary_fraction=covered_fraction(basic.primary_gaps, start, end),
        backup_fraction=covered_fraction(basic.backup_gaps, start, end),
        languages=[
            attribute_coverage(shift_list, profiles, "language", v, start, end, attribute_roles)
            for v in languages
        ],
        skills=[
            attribute_coverage(shift_list, profiles, "skill", v, start, end, attribute_roles) for v in skills
        ],
        double_bookings=double_bookings(inside),
        max_stretch=max_stretch,
        long_stretches=long_stretches(inside, max_stretch, min_rest),
        irregular_shifts=list(irregular),
        notes=list(notes),
    )


def roster_report(
    roster: Roster,
    start: datetime,
    end: datetime,
    *,
    profiles: Mapping[str, ResponderProfile] | None = None,
    languages: Sequence[str] = (),
    skills: Sequence[str] = (),
    max_stretch: timedelta = DEFAULT_MAX_STRETCH,
    min_rest: timedelta = timedelta(0),
) -> CoverageReport:
    """`coverage_report` of the roster's expansion, with DST-bent turns and no-op changes listed."""
    check_window(start, end)
    shifts, notes = expand_with_notes(roster, start, end)
    return coverage_report(
        shifts,
        start,
        end,
        profiles=profiles,
        languages=languages,
        skills=skills,
        max_stretch=max_stretch,
        min_rest=min_rest,
        irregular=irregular_shifts(roster, start, end),
        notes=notes,
    )
