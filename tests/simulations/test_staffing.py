"""Staffing planner: Erlang C's first guess, refinement on the real engine, roster checks, chart."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schedules import Shift
from simulations import erlang, parse_scenario, quiet_router_logs
from simulations.chart import staffing_svg
from simulations.scenario import WEEK_HOURS, Scenario
from simulations.staffing import (
    check_roster,
    first_guess,
    plan,
    plan_shifts,
    primaries_by_hour,
    table,
    wilson_upper,
)

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def scenario(**extra: Any) -> Scenario:
    return parse_scenario(
        {
            "responders": {"count": 1, "channels": ["voice"], "capacity": {"voice": 1}},
            "arrivals": {"voice": 2},
            "handle": {"voice": {"kind": "exponential", "mean": "10m"}},
            **extra,
        }
    )


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (3, 2.4), (10, 8.5)])
def test_erlang_c_recursion_matches_the_textbook_sum(c: int, a: float) -> None:
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / (math.factorial(c) * (1 - a / c))
    assert erlang.erlang_c(c, a) == pytest.approx(tail / (head + tail), rel=1e-12)
    assert erlang.erlang_c(c, c + 0.1) == 1.0


def test_first_guess_is_erlang_c_per_hour() -> None:
    sc = parse_scenario(
        {
            "responders": {"count": 1, "channels": ["voice"]},
            "arrivals": {"voice": [0.0] * 24 + [12.0] * 144},
            "handle": {"voice": {"kind": "exponential", "mean": "10m"}},
        }
    )
    guess = first_guess(sc, 99.5)
    assert guess[:24] == [1] * 24  # nobody calls on Monday, but the line is never left alone
    expected = erlang.servers_for(12 / 3600, 600, 1200, 99.5)
    assert guess[24:] == [expected] * 144
    assert 1 - erlang.p_wait_over(expected, 12 / 3600, 600, 1200) >= 0.995
    assert 1 - erlang.p_wait_over(expected - 1, 12 / 3600, 600, 1200) < 0.995


def test_slow_phones_raise_the_guess() -> None:
    quick = first_guess(scenario(arrivals={"voice": 20}), 99.5)
    slow = first_guess(
        scenario(arrivals={"voice": 20}, behaviour={"react": "3m", "no_answer": 0.3}),
        99.5,
    )
    assert all(s >= q for s, q in zip(slow, quick, strict=True)) and slow != quick


def test_plan_shifts_put_the_needed_number_on_call() -> None:
    sc = scenario()
    required = [1 + (h % 24 >= 8) + (h % 24 >= 18) for h in range(WEEK_HOURS)]
    shifts = plan_shifts(sc, required, MONDAY, MONDAY + timedelta(days=7))
    assert primaries_by_hour(sc, shifts, MONDAY, MONDAY + timedelta(days=7)) == required


def test_a_draft_short_on_tuesday_night_is_named() -> None:
    sc = scenario()
    required = [2] * WEEK_HOURS
    day = timedelta(days=1)
    draft = [
        Shift(responder="ana", role="primary", start=MONDAY, end=MONDAY + 7 * day),
        Shift(responder="ben", role="primary", start=MONDAY, end=MONDAY + day + timedelta(hours=2)),
        Shift(responder="ben", role="primary", start=MONDAY + day + timedelta(hours=6), end=MONDAY + 7 * day),
        Shift(responder="cy", role="backup", start=MONDAY, end=MONDAY + 7 * day),
    ]
    short = check_roster(sc, required, draft, MONDAY, MONDAY + 7 * day)
    assert [s.describe(sc) for s in short] == [
        "Tuesday 2026-01-06 02:00\N{EN DASH}06:00 is one responder short (has 1 on call as primary, needs 2)"
    ]


def test_a_shortfall_is_cut_at_local_midnight() -> None:
    sc = scenario(timezone="America/New_York")
    local_monday = datetime(2026, 1, 5, 5, tzinfo=UTC)  # 00:00 in New York
    draft = [Shift(responder="ana", role="primary", start=local_monday, end=local_monday + timedelta(days=2))]
    short = check_roster(sc, [2] * WEEK_HOURS, draft, local_monday, local_monday + timedelta(days=2))
    lines = [s.describe(sc) for s in short]
    assert lines == [
        "Monday 2026-01-05 00:00\N{EN DASH}24:00 is one responder short (has 1 on call as primary, needs 2)",
        "Tuesday 2026-01-06 00:00\N{EN DASH}24:00 is one responder short (has 1 on call as primary, needs 2)",
    ]


def test_wilson_bound_needs_evidence() -> None:
    assert wilson_upper(0, 10) > 0.2  # ten good contacts prove little
    assert wilson_upper(0, 1000) < 0.005
    assert wilson_upper(5, 10) > 0.5


async def test_plan_meets_the_target_on_the_real_engine() -> None:
    sc = scenario(arrivals={"voice": [1.0] * 12 + [9.0] * 12}, warmup="6h")
    with quiet_router_logs():
        result = await plan(sc, 99.0, weeks=1, rounds=3)
    assert result.rounds >= 1
    assert result.meets and result.overall_pct is not None and result.overall_pct >= 99.0
    assert min(result.required) >= 1
    assert max(result.required[12:24]) > max(result.required[:12])  # the busy half of the day
    assert "Mon" in table(result.required) and len(table(result.required).splitlines()) == 25
    assert result.to_dict()["required_by_hour_of_week"] == result.required


def test_the_chart_is_svg() -> None:
    svg = staffing_svg([2] * 84 + [3] * 84, "plan <test>", first_guess=[2] * 168, rostered=[1] * 168)
    root = ET.fromstring(svg)  # noqa: S314 - our own chart, not untrusted input
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == WEEK_HOURS
    assert len(list(root.iter(f"{ns}polyline"))) == 2
    assert "plan &lt;test&gt;" in svg
