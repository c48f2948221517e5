"""Small builders shared by the schedules tests: UTC instants, shifts and hypothesis settings."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings

from schedules import Role, Shift

# No example database: tests must not write into the working tree; no deadline: timing is not under test.
PROPERTY = settings(deadline=None, database=None, max_examples=100)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def shift(responder: str, role: Role, start: datetime, end: datetime) -> Shift:
    return Shift(responder=responder, role=role, start=start, end=end)


def spans(shifts: list[Shift]) -> list[tuple[str, str, datetime, datetime]]:
    """Shifts as plain tuples, for comparing with exact expected values."""
    return [(s.responder, s.role, s.start, s.end) for s in shifts]
