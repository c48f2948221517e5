"""Coverage validation: exact gaps per role over a window, and the Standard 32 rating."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schedules.model import Coverage, Gap, Role, Shift


def gaps(shifts: Iterable[Shift], role: Role, start: datetime, end: datetime) -> list[Gap]:
    """Every part of [start, end) that no shift of `role` covers, merged and in order."""
    spans = sorted(
        (max(s.start, start), min(s.end, end))
        for s in shifts
        if s.role == role and s.end > start and s.start < end
    )
    found: list[Gap] = []
    cursor = start
    for s_start, s_end in spans:
        if s_start > cursor:
            found.append(Gap(start=cursor, end=s_start))
        cursor = max(cursor, s_end)
    if cursor < end:
        found.append(Gap(start=cursor, end=end))
    return found


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
