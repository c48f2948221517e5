"""Standard 32 from a roster: primary coverage, and backup coverage by a DIFFERENT person
(one person on call as both primary and backup is no backup), in total and per local day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from schedules import RosterVersion, Shift


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    primary: bool
    backup: bool  # a backup on call who is not (one of) the primary

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def spans(shifts: Iterable[Shift], start: datetime, end: datetime) -> list[Span]:
    chosen = [s for s in shifts if s.role in ("primary", "backup") and s.start < end and s.end > start]
    cuts = sorted({start, end, *(max(start, s.start) for s in chosen), *(min(end, s.end) for s in chosen)})
    out: list[Span] = []
    for a, b in pairwise(cuts):
        on = [s for s in chosen if s.start <= a and s.end >= b]
        primaries = {s.responder for s in on if s.role == "primary"}
        backups = {s.responder for s in on if s.role == "backup"} - primaries
        out.append(Span(a, b, bool(primaries), bool(backups)))
    return out


def _gap(found: list[Span], which: str) -> float:
    return round(sum(s.seconds for s in found if not getattr(s, which)), 3)


def _pct(found: list[Span], which: str) -> float | None:
    total = sum(s.seconds for s in found)
    return round(100 * sum(s.seconds for s in found if getattr(s, which)) / total, 2) if total else None


def _iso(s: Span) -> dict[str, str]:
    return {"start": s.start.isoformat(), "end": s.end.isoformat()}


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[str, datetime, datetime]]:
    """The hotline's calendar days the window touches, each cut to the window."""
    day = start.astimezone(zone).date()
    out: list[tuple[str, datetime, datetime]] = []
    while True:
        a = datetime.combine(day, datetime.min.time(), zone)
        b = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        if a >= end:
            return out
        out.append((day.isoformat(), max(a, start), min(b, end)))
        day += timedelta(days=1)


def coverage(roster: RosterVersion | None, start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, Any]:
    span = (end - start).total_seconds()
    days = local_days(start, end, zone)
    if roster is None:
        return {
            "primary_gap_s": span,
            "backup_gap_s": span,
            "rating": "does_not_meet",
            "roster_version": None,
            "by_day": [
                {"date": d, "primary_covered_pct": 0.0, "backup_covered_pct": 0.0} for d, _, _ in days
            ],
        }
    found = spans(roster.shifts, start, end)
    primary_gap, backup_gap = _gap(found, "primary"), _gap(found, "backup")
    rating = "does_not_meet" if primary_gap else ("meets" if backup_gap else "exceeds")
    by_day = []
    for date, a, b in days:
        part = [
            Span(max(s.start, a), min(s.end, b), s.primary, s.backup)
            for s in found
            if s.start < b and s.end > a
        ]
        by_day.append(
            {
                "date": date,
                "primary_covered_pct": _pct(part, "primary"),
                "backup_covered_pct": _pct(part, "backup"),
            }
        )
    return {
        "primary_gap_s": primary_gap,
        "backup_gap_s": backup_gap,
        "rating": rating,
        "roster_version": roster.version,
        "by_day": by_day,
        "primary_gaps": [_iso(s) for s in found if not s.primary][:50],
        "backup_gaps": [_iso(s) for s in found if not s.backup][:50],
    }
