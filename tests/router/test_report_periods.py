"""The manager's report periods are calendar days in the hotline's zone, whatever the UTC date or DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from router.web.report_periods import MAX_CUSTOM_DAYS, PeriodError, midnight, window_of

NEW_YORK = ZoneInfo("America/New_York")


def test_last_7_days_are_seven_local_days_ending_now_across_the_dst_change() -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York, two days after DST began
    w = window_of("last_7_days", now, NEW_YORK)
    assert w.start.isoformat() == "2026-03-04T00:00:00-05:00" and w.end == now
    assert (w.first_day, w.last_day) == (date(2026, 3, 4), date(2026, 3, 10))
    assert w.label == "Last 7 days (4\u201310 Mar 2026)"
    days = w.days(NEW_YORK)
    assert len(days) == 7
    # Sunday 8 March has 23 hours: the next day starts 23 h after it.
    sunday, monday = days[4][1].astimezone(UTC), days[5][1].astimezone(UTC)
    assert monday - sunday == timedelta(hours=23)
    assert days[5][1].isoformat() == "2026-03-09T00:00:00-04:00"


def test_the_local_date_decides_not_the_utc_one() -> None:
    # 22:00 on 31 December in New York is already 1 January in UTC.
    now = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    month = window_of("this_month", now, NEW_YORK)
    assert month.start.isoformat() == "2025-12-01T00:00:00-05:00"
    assert month.label == "This month (December 2025)"
    quarter = window_of("last_quarter", now, NEW_YORK)
    assert quarter.start.isoformat() == "2025-07-01T00:00:00-04:00"
    assert quarter.end.isoformat() == "2025-10-01T00:00:00-04:00"
    assert quarter.label == "Last quarter (Q3 2025: 1 Jul \u2013 30 Sep 2025)"
    # An hour later in UTC terms but the same instant seen from Tokyo is already January's quarter.
    tokyo = window_of("last_quarter", now, ZoneInfo("Asia/Tokyo"))
    assert tokyo.start.isoformat() == "2025-10-01T00:00:00+09:00" and tokyo.last_day == date(2025, 12, 31)


def test_custom_days_are_inclusive_and_end_at_the_next_local_midnight() -> None:
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    w = window_of("custom", now, NEW_YORK, "2026-03-07", "2026-03-08")
    assert w.start.isoformat() == "2026-03-07T00:00:00-05:00"
    assert w.end.isoformat() == "2026-03-09T00:00:00-04:00"
    assert w.end.astimezone(UTC) - w.start.astimezone(UTC) == timedelta(hours=47)
    assert w.label == "7\u20138 Mar 2026"
    one = window_of("custom", now, NEW_YORK, "2026-03-07", "2026-03-07")
    assert one.label == "7 Mar 2026" and len(one.days(NEW_YORK)) == 1


@pytest.mark.parametrize(
    ("period", "start", "end", "field"),
    [
        ("custom", None, "2026-03-08", "from"),
        ("custom", "2026-03-07", "", "to"),
        ("custom", "7 March", "2026-03-08", "from"),
        ("custom", "2026-03-09", "2026-03-08", "to"),
        ("custom", "2025-01-01", "2026-03-08", "to"),
        ("fortnight", None, None, "period"),
    ],
)
def test_bad_periods_name_the_field(period: str, start: str | None, end: str | None, field: str) -> None:
    with pytest.raises(PeriodError) as err:
        window_of(period, datetime(2026, 3, 20, tzinfo=UTC), NEW_YORK, start, end)
    assert err.value.field == field
    assert "7 March" not in err.value.message  # the input is never echoed back


def test_longest_custom_period_is_accepted() -> None:
    first = date(2025, 1, 1)
    last = first + timedelta(days=MAX_CUSTOM_DAYS - 1)
    w = window_of("custom", datetime(2026, 3, 20, tzinfo=UTC), NEW_YORK, first.isoformat(), last.isoformat())
    assert len(w.days(NEW_YORK)) == MAX_CUSTOM_DAYS


def test_a_midnight_that_dst_skips_starts_the_day_at_the_jump() -> None:
    santiago = ZoneInfo("America/Santiago")  # clocks go from 00:00 to 01:00 on 6 September 2026
    start = midnight(date(2026, 9, 6), santiago)
    assert start.isoformat() == "2026-09-06T01:00:00-03:00"
    previous = midnight(date(2026, 9, 5), santiago)
    assert start.astimezone(UTC) - previous.astimezone(UTC) == timedelta(hours=24)
