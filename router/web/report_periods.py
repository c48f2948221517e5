"""The manager's report periods (last 7 days, this month, last quarter, custom) in the hotline's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["last_7_days", "this_month", "last_quarter", "custom"]
PERIODS: tuple[Period, ...] = ("last_7_days", "this_month", "last_quarter", "custom")
# A custom window longer than this is refused: the page draws every contact in it.
MAX_CUSTOM_DAYS = 400


class PeriodError(ValueError):
    """A period the page cannot report on; `field` names the parameter that was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime
    end: datetime
    first_day: date  # the hotline-local calendar days the window touches, for labels and by-day charts
    last_day: date
    label: str

    def days(self, zone: ZoneInfo) -> list[tuple[date, datetime]]:
        """Each local calendar day of the window with the instant it starts (by-day charts use these)."""
        count = (self.last_day - self.first_day).days + 1
        return [(d, midnight(d, zone)) for d in (self.first_day + timedelta(days=i) for i in range(count))]


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of a local calendar day (a day whose midnight DST skips starts at the jump)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).astimezone(zone)


def _span(first: date, last: date) -> str:
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} \u2013 {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} \u2013 {last.day} {last:%b %Y}"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _parse_day(value: str | None, field: str) -> date:
    if not value:
        raise PeriodError(field, f"{field} is required for a custom period: a date like 2026-03-02")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PeriodError(field, f"{field} is not a date like 2026-03-02") from exc


def window_of(
    period: str, now: datetime, zone: ZoneInfo, from_day: str | None = None, to_day: str | None = None
) -> Window:
    """The window a period names at `now`. Presets that include today end now; the last quarter is
    the previous calendar quarter; a custom period runs from the start of its first day to the end
    of its last (both hotline-local)."""
    today = now.astimezone(zone).date()
    if period == "last_7_days":
        first = today - timedelta(days=6)
        label = f"Last 7 days ({_span(first, today)})"
        return Window("last_7_days", midnight(first, zone), now, first, today, label)
    if period == "this_month":
        first = today.replace(day=1)
        return Window("this_month", midnight(first, zone), now, first, today, f"This month ({first:%B %Y})")
    if period == "last_quarter":
        this_quarter = _quarter_start(today)
        first = _quarter_start(this_quarter - timedelta(days=1))
        last = this_quarter - timedelta(days=1)
        label = f"Last quarter (Q{(first.month - 1) // 3 + 1} {first.year}: {_span(first, last)})"
        return Window("last_quarter", midnight(first, zone), midnight(this_quarter, zone), first, last, label)
    if period != "custom":
        raise PeriodError("period", f"period {period!r} is not one of {', '.join(PERIODS)}")
    first, last = _parse_day(from_day, "from"), _parse_day(to_day, "to")
    if last < first:
        raise PeriodError("to", "to is before from: pick the last day on or after the first")
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError("to", f"a custom period is at most {MAX_CUSTOM_DAYS} days long")
    end = midnight(last + timedelta(days=1), zone)
    return Window("custom", midnight(first, zone), end, first, last, _span(first, last))
