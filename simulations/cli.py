"""Command lines: `simulate SCENARIO.yaml` and `staffing SCENARIO.yaml` (wired into `safetynet`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schedules import Roster, Shift
from simulations.chart import staffing_svg
from simulations.progress import ProgressBar
from simulations.runner import quiet_router_logs
from simulations.scenario import WEEK_HOURS, Scenario, ScenarioError, load_scenario
from simulations.segments import MAX_WORKERS, simulate, workers_for
from simulations.staffing import Plan, check_roster, plan, primaries_by_hour, table


def _progress_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _workers(text: str) -> int:
    """--workers: a whole number of processes, at least 1."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a whole number of processes, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"give at least 1 process, not {n}")
    return n


def _workers_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="processes for a run long enough to split into segments (default: one for a light "
        f"run, else the cores available, at most {MAX_WORKERS}); changes how fast, never what is "
        "reported",
    )


def _load(path: str, seed: int | None) -> Scenario:
    sc = load_scenario(path)
    return sc.model_copy(update={"seed": seed}) if seed is not None else sc


def _dur(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 120:
        return f"{s:.1f}s"
    if s < 7200:
        return f"{s / 60:.1f}m"
    return f"{s / 3600:.1f}h"


def _ci(ci: list[float] | None, fmt: str) -> str:
    return f" (95% CI {fmt.format(ci[0])} to {fmt.format(ci[1])})" if ci else ""


def render(r: dict[str, Any], target_s: float) -> str:
    c, t, u = r["contacts"], r["time_to_answer_s"], r["utilisation"]
    lines = [
        f"scenario {r['scenario']}: seed {r['seed']}, {r['window']['days']:g} days from "
        f"{r['window']['from']} after {_dur(r['window']['warmup_s'])} warm-up"
        + (f", in {r['segments']} segments" if r.get("segments") else ""),
        f"contacts       {c['received']:,} received, {c['answered']:,} answered, "
        f"{c['abandoned']:,} abandoned, {c['unanswered_at_end']:,} still waiting at the end",
        f"within target  {r['within_target_pct']}% answered within {_dur(target_s)}",
        f"time to answer p50 {_dur(t['p50'])}  p90 {_dur(t['p90'])}  "
        f"p99 {_dur(t['p99'])}  max {_dur(t['max'])}",
        f"breaches       {r['breaches']:,}   escalations {r['escalations']:,}   pages {r['pages']:,}",
        f"offers         {r['offers']['made']:,} made, {r['offers']['declined']:,} declined, "
        f"{r['offers']['expired']:,} rang out",
        f"mean wait      {_dur(r['mean_wait_s'])}{_ci(r['ci95']['mean_wait_s'], '{:.1f}s')}",
    ]
    for k, v in r["p_wait_over_s"].items():
        lines.append(f"P(wait > {k}s)  {v:.4f}{_ci(r['ci95']['p_wait_over_s'][k], '{:.4f}')}")
    lines.append(f"utilisation    {u['overall_pct']}% overall")
    for rid, f in u["by_responder"].items():
        lines.append(f"  {rid:<12} {f['busy_pct']}% of {f['on_call_h']}h on call")
    hours = " ".join("-" if v is None else f"{v:.0f}" for v in u["by_hour_of_day"])
    lines.append(f"  by hour of day (%): {hours}")
    theory = r.get("theory")
    if theory:
        lines.append(
            f"Erlang C       {theory['servers']} servers, {theory['load_erlangs']:.3f} erlangs: "
            f"mean wait {theory['mean_wait_s']:.2f}s, "
            + ", ".join(f"P(wait > {k}s) {v:.4f}" for k, v in theory["p_wait_over_s"].items())
        )
    return "\n".join(lines)


async def _simulate(sc: Scenario, days: float | None, workers: int, bar: ProgressBar) -> dict[str, Any]:
    try:
        return await simulate(sc, days, workers, progress=bar)
    finally:
        bar.close()


def simulate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="safetynet simulate", description="Simulate a scenario on the real router."
    )
    p.add_argument("scenario", help="scenario YAML (see simulations/README.md)")
    p.add_argument("--days", type=float, default=None, help="days measured after the warm-up")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    _workers_flag(p)
    _progress_flags(p)
    args = p.parse_args(argv)
    try:
        sc = _load(args.scenario, args.seed)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.days is not None and args.days <= 0:
        print("error: --days must be more than 0", file=sys.stderr)
        return 2
    bar = ProgressBar("simulating", enabled=args.progress)
    with quiet_router_logs():
        workers = args.workers or workers_for(sc, args.days)
        report = asyncio.run(_simulate(sc, args.days, workers, bar))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render(report, sc.protocol.response_target.total_seconds()))
    return 0


def _draft(path: str) -> list[Shift]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return list(Roster.model_validate(data).shifts)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ScenarioError(f"{path}: not a roster file ({exc})") from exc


def staffing_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="safetynet staffing",
        description="The fewest on-call responders per hour of the week that meet the target.",
    )
    p.add_argument("scenario", help="scenario YAML: arrivals, handle times, behaviour, protocol")
    p.add_argument(
        "--target",
        type=float,
        default=None,
        help="percent of contacts not left waiting past the response target (default: the scenario's)",
    )
    p.add_argument("--svg", default=None, help="write the chart to this SVG file")
    p.add_argument("--roster", default=None, help="a draft roster YAML to check (default: the scenario's)")
    p.add_argument("--weeks", type=float, default=4.0, help="simulated weeks per refinement round")
    p.add_argument("--rounds", type=int, default=4, help="refinement rounds at most")
    p.add_argument("--min", type=int, default=1, dest="least", help="never fewer than this many on call")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--json", action="store_true")
    _workers_flag(p)
    _progress_flags(p)
    args = p.parse_args(argv)
    try:
        sc = _load(args.scenario, args.seed)
        if args.target is not None and not 0 < args.target <= 100:
            raise ScenarioError("--target is a percentage above 0 and at most 100")
        draft = _draft(args.roster) if args.roster else None
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = ProgressBar("planning", enabled=args.progress)
    with quiet_router_logs():
        workers = args.workers or workers_for(sc, 7 * args.weeks)
        result = asyncio.run(
            plan(sc, args.target, args.weeks, args.rounds, args.least, progress=bar, workers=workers)
        )
    bar.close()
    check = _check(sc, result, draft)
    if args.svg:
        within = _dur(result.within_s)
        title = f"{sc.name}: responders needed so {result.target_pct:g}% wait no longer than {within}"
        Path(args.svg).write_text(
            staffing_svg(result.required, title, result.first_guess, check["rostered"] if check else None),
            encoding="utf-8",
        )
    if args.json:
        print(json.dumps({"plan": result.to_dict(), "roster_check": check}, indent=2))
        return 0
    print(
        f"responders needed on call so that {result.target_pct:g}% are not left waiting "
        f"past {_dur(result.within_s)}"
    )
    print(table(result.required))
    if result.overall_pct is None or result.answered_pct is None:
        print("no contacts arrived: nothing to plan for")
    else:
        print(
            f"simulated with this staffing ({result.rounds} round(s) of {result.weeks:g} weeks): "
            f"{result.overall_pct:.2f}% not left waiting past {_dur(result.within_s)}, "
            f"{result.answered_pct:.2f}% answered within it (the rest hung up first)"
        )
        if not result.meets:
            print(f"warning: some hours still miss {result.target_pct:g}%; run more --rounds or --weeks")
    if check is not None:
        lines = check["shortfalls"]
        print("roster check: " + ("no hour is short" if not lines else f"{len(lines)} short stretch(es)"))
        for line in lines:
            print("  " + line)
    return 0


def _check(sc: Scenario, result: Plan, draft: list[Shift] | None) -> dict[str, Any] | None:
    """The draft (or the scenario's own roster) against the plan, hour by hour."""
    if draft is None and sc.roster is None:
        return None
    if draft:
        start, end = min(s.start for s in draft), max(s.end for s in draft)
        shifts = draft
    else:
        # A weekly pattern repeats: one week says it all.
        start = sc.start
        end = start + timedelta(days=7 if not sc.roster or not sc.roster.shifts else sc.days)
        shifts = sc.shifts(start, end)
    short = check_roster(sc, result.required, shifts, start, end)
    start = start.replace(minute=0, second=0, microsecond=0)
    per_hour = primaries_by_hour(sc, shifts, start, end)
    rostered: list[int | None] = [None] * WEEK_HOURS
    for i, n in enumerate(per_hour):
        how = sc.hour_of_week(start + timedelta(hours=i))
        seen = rostered[how]
        rostered[how] = n if seen is None else min(n, seen)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "shortfalls": [s.describe(sc) for s in short],
        "rostered": [0 if v is None else v for v in rostered],
    }
