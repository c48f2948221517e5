"""Coverage validation: exact gaps per role over a window, and the Standard 32 rating."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schedules.shift import Coverage, Gap, Role, Shift


def uncovered(spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[Gap]:
    """Every part of [start, end) that none of the [from, to) spans covers, merged and in order."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if b > start and a < end)
    found: list[Gap] = []
    cursor = start
    for s_start, s_end in clipped:
        if s_start > cursor:
            found.append(Gap(start=cursor, end=s_start))
        cursor = max(cursor, s_end)
    if cursor < end:
        found.append(Gap(start=cursor, end=end))
    return found


def gaps(shifts: Iterable[Shift], role: Role, start: datetime, end: datetime) -> list[Gap]:
    """Every part of [start, end) that no shift of `role` covers, merged and in order."""
    return uncovered(((s.start, s.end) for s in shifts if s.role == role), start, end)


def covered_fraction(found: list[Gap], start: datetime, end: datetime) -> float:
    """Share of [start, end) outside the gaps, 0.0 to 1.0."""
    total = (end - start).total_seconds()
    return 1.0 - sum(g.seconds for g in found) / total if total > 0 else 0.0


def check_coverage(shifts: Iterable[Shift], start: datetime, end: datetime) -> Coverage:
    """Standard 32: meets with consistent 24/7 primary coverage, exceeds with backup too."""
    shift_list = list(shifts)
    primary = gaps(shift_list, "primary", start, end)
    backup = gaps(shift_list, "backup", start, end)
    if primary:
        rating = "does_not_meet"
    elif backup:
        rating = "meets"
    else:
        rating = "exceeds"
    return Coverage(start=start, end=end, primary_gaps=primary, backup_gaps=backup, rating=rating)
