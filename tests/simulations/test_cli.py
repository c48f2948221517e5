"""`simulate` and `staffing` from the command line: JSON for machines, text and SVG for people."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from router import cli
from simulations.__main__ import main as module_main
from simulations.cli import simulate_main, staffing_main

SCENARIOS = Path(__file__).parents[2] / "simulations" / "scenarios"

SMALL = """
name: small
warmup: 6h
days: 2
responders: {count: 1, channels: [voice], capacity: {voice: 1}}
arrivals: {voice: 2}
handle: {voice: {kind: exponential, mean: 10m}}
"""

DRAFT = """
timezone: UTC
shifts:
  - {responder: ana, role: primary, start: 2026-01-05T00:00:00Z, end: 2026-01-06T02:00:00Z}
  - {responder: ana, role: primary, start: 2026-01-06T06:00:00Z, end: 2026-01-12T00:00:00Z}
"""


def test_simulate_json_carries_erlang_c_for_an_mmc_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = yaml.safe_load((SCENARIOS / "mmc.yaml").read_text())
    path = tmp_path / "mmc.yaml"
    path.write_text(yaml.safe_dump({**shipped, "warmup": "1h"}))
    assert simulate_main([str(path), "--days", "0.25", "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seed"] == 3 and out["window"]["days"] == 0.25
    assert out["theory"]["servers"] == 4
    assert set(out["p_wait_over_s"]) == {"0", "30", "60", "300"}
    assert out["ci95"]["mean_wait_s"][0] <= out["mean_wait_s"] <= out["ci95"]["mean_wait_s"][1]
    assert out["compliance"]["contacts"] == out["contacts"]["received"] > 0


def test_simulate_text_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    assert simulate_main([str(path), "--days", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "within target" in out and "mean wait" in out and "Erlang C" in out
    assert "r1" in out  # utilisation per responder


def test_safetynet_simulate_and_staffing_load_the_simulator_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    assert cli.main(["simulate", str(path), "--days", "1", "--no-progress"]) == 0
    assert "within target" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["staffing", "--help"])
    assert done.value.code == 0 and "usage: safetynet staffing" in capsys.readouterr().out
    # `serve` (each worker, each restart) does not load it.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, router.cli; print(sorted(m for m in sys.modules if m.startswith('simulations')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_a_bad_scenario_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("arrivals: {voice: 1}\nresponders: {count: 1}\n")
    assert simulate_main([str(path)]) == 2
    assert "handle" in capsys.readouterr().err
    assert simulate_main([str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_staffing_table_chart_and_roster_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT)
    svg = tmp_path / "plan.svg"
    argv = [str(scenario), "--target", "99", "--weeks", "1", "--rounds", "2", "--svg", str(svg)]
    assert staffing_main([*argv, "--roster", str(draft), "--min", "1"]) == 0
    out = capsys.readouterr().out
    assert "hour    Mon" in out
    assert "Tuesday 2026-01-06 02:00\N{EN DASH}06:00 is 2 responders short (has 0 on call" in out
    assert svg.read_text().startswith("<svg")


def test_staffing_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    assert staffing_main([str(scenario), "--weeks", "0.5", "--rounds", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["plan"]["required_by_hour_of_week"]) == 168
    assert out["roster_check"] is None  # always-on responders: no draft to check
    assert staffing_main([str(scenario), "--target", "150"]) == 2


def test_python_dash_m(capsys: pytest.CaptureFixture[str]) -> None:
    assert module_main([]) == 2
    assert "usage" in capsys.readouterr().err
