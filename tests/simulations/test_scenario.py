"""Scenario files: validation, shorthand, distributions, weekly rosters in local time."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulations import (
    Constant,
    Empirical,
    Exponential,
    Lognormal,
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from simulations.scenario import WEEK_HOURS

SCENARIOS = Path(__file__).parents[2] / "simulations" / "scenarios"
BASE = {"responders": {"count": 2}, "arrivals": {"voice": 2}, "handle": {"voice": "10m"}}


def test_shipped_scenarios_load() -> None:
    mmc = load_scenario(SCENARIOS / "mmc.yaml")
    weekly = load_scenario(SCENARIOS / "weekly-hotline.yaml")
    assert mmc.responders.count == 4
    assert isinstance(mmc.handle["voice"], Exponential)
    assert weekly.roster is not None
    assert weekly.timezone == "America/New_York"


def test_rates_one_number_24_or_168() -> None:
    sc = parse_scenario(
        {
            **BASE,
            "arrivals": {"voice": 2, "sms": list(range(24)), "chat": [1.0] * 168},
            "handle": {"voice": 60, "sms": 60, "chat": 60},
        }
    )
    assert sc.arrivals["voice"] == [2.0] * WEEK_HOURS
    assert sc.arrivals["sms"][24 + 5] == 5  # Tuesday 05:00 repeats the day
    with pytest.raises(ScenarioError, match="168"):
        parse_scenario({**BASE, "arrivals": {"voice": [1, 2, 3]}})


def test_durations_and_shorthand() -> None:
    sc = parse_scenario(
        {**BASE, "behaviour": {"react": "30s", "answer_delay": {"kind": "exponential", "mean": "1m"}}}
    )
    assert sc.behaviour.react == Constant(value=30)
    assert sc.behaviour.answer_delay == Exponential(mean=60)
    assert sc.handle["voice"] == Constant(value=600)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"arrivals": {"voice": 1}, "handle": {"voice": 1}}, "either responders.count"),
        ({**BASE, "handle": {}}, "handle-time distribution for voice"),
        ({**BASE, "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({**BASE, "behaviour": {"accept": 1.5}}, "behaviour.accept"),
        ({**BASE, "handle": {"voice": {"kind": "gamma", "mean": 3}}}, "handle.voice"),
        ({**BASE, "protocol": {"response_target": "soon"}}, "protocol"),
        ({**BASE, "roster": {"weekly": [{"start": "08:00"}]}}, "not both"),
    ],
)
def test_errors_name_the_field(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ScenarioError, match=problem):
        parse_scenario(data, "my.yaml")


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "protocol: missing.yaml\n" + "arrivals: {voice: 1}\nhandle: {voice: 1}\nresponders: {count: 1}\n"
    )
    with pytest.raises(ScenarioError, match=r"missing\.yaml"):
        load_scenario(bad)


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        (Exponential(mean=300), 300),
        (Lognormal(mean=600, sd=400), 600),
        (Empirical(values=[60, 120, 600]), 260),
        (Empirical(values=[60, 600], weights=[3, 1]), 195),
        (Constant(value=42), 42),
    ],
)
def test_distributions_have_their_stated_mean(
    dist: Exponential | Lognormal | Empirical | Constant, mean: float
) -> None:
    rng = random.Random(5)
    draws = [dist.sample(rng) for _ in range(20_000)]
    assert dist.mean_s == pytest.approx(mean)
    assert statistics.fmean(draws) == pytest.approx(mean, rel=0.03)
    assert min(draws) >= 0


def test_lognormal_sd_is_of_the_duration() -> None:
    rng = random.Random(6)
    draws = [Lognormal(mean=600, sd=400).sample(rng) for _ in range(40_000)]
    assert statistics.stdev(draws) == pytest.approx(400, rel=0.05)


def test_weekly_shifts_follow_local_time_across_dst() -> None:
    """08:00-16:00 in New York is 13:00 UTC in winter and 12:00 UTC after the March change."""
    sc = parse_scenario(
        {
            "timezone": "America/New_York",
            "arrivals": {"voice": 1},
            "handle": {"voice": 60},
            "roster": {
                "weekly": [{"days": ["sun"], "start": "08:00", "end": "16:00", "responders": ["ana"]}]
            },
        }
    )
    shifts = sc.shifts(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, 23, tzinfo=UTC))
    starts = {s.start.day: s.start.astimezone(UTC).hour for s in shifts}
    assert starts == {1: 13, 8: 12, 15: 12}  # clocks went forward at 02:00 on Sunday 8 March
    assert all((s.end - s.start).total_seconds() == 8 * 3600 for s in shifts)


def test_overnight_and_counted_shifts() -> None:
    sc = parse_scenario(
        {
            "arrivals": {"voice": 1},
            "handle": {"voice": 60},
            "roster": {
                "weekly": [{"role": "backup", "days": ["mon"], "start": "22:00", "end": "06:00", "count": 2}]
            },
        }
    )
    shifts = sc.shifts(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 7, tzinfo=UTC))
    assert {s.responder for s in shifts} == {"b1-1", "b1-2"}
    assert {(s.start.hour, s.end.day, s.end.hour) for s in shifts} == {(22, 6, 6)}


def test_hour_of_week_is_local() -> None:
    sc = parse_scenario({**BASE, "timezone": "America/New_York"})
    # Monday 03:00 UTC is Sunday 22:00 in New York.
    assert sc.hour_of_week(datetime(2026, 1, 5, 3, tzinfo=UTC)) == 6 * 24 + 22
