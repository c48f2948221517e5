"""`python -m simulations.bench` (`make bench`): every benchmark in one run, then a summary.

    python -m simulations.bench [--contacts 6000] [--only timers,steady,intake,costs,sim,oncall] [--quick]

Never run by the test suite. Needs redis-server on PATH; Celery for the Celery comparison
(`pip install -e '.[bench]'`; skipped with a message without it). Bounded: about 10 minutes on
2 cores at the defaults, about 2-3 with --quick. Everything runs on 127.0.0.1 and every process
started is stopped before the next benchmark begins.

- timers: a burst of 6,000 escalations due at once, SafetyNet with two `safetynet serve` on one
  redis-server (and one, in the full run) vs Celery countdown (2 processes) vs APScheduler
  (misfire_grace_time 60 s and its default); cost per escalation of the serves.
- steady: escalations falling due at 200/s for 30 s on one serve: lateness of each.
- intake: one serve at fixed rates (open loop, 500/s and 2,000/s), 2,000/s again on
  `serve --workers 2`, and closed loop (c=1, c=16).
- costs: round trips, Redis commands and CPU per intake, accept, close, escalation (in-process);
  CPU per message the person sends as one conversation grows (10, 500, 980 held).
- sim, oncall: simulator speed (modest sizes; a longer busy hotline also in segments on two
  workers, as the staffing planner runs it) and on-call lookups.
The summary ends with issue #13's targets and whether this run met each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from simulations.bench import (
    _summary,
    conversation,
    intake,
    oncall,
    openloop,
    roundtrips,
    sim_speed,
    steady,
    timers,
)
from simulations.bench._measure import earlier_phases_set_aside
from simulations.bench._procs import machine
from simulations.runner import quiet_router_logs

ALL = ("timers", "steady", "intake", "costs", "sim", "oncall")


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench", description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=None, help="escalations due at once (default 6,000)")
    p.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + ", ".join(ALL))
    p.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run, not the figures")
    args = p.parse_args(argv)
    chosen = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(ALL))
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}")
    quick = args.quick
    n = args.contacts or (1_000 if quick else 6_000)
    began = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    burst: list[dict[str, Any]] = []
    steady_result: dict[str, Any] | None = None
    fixed: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    costs: dict[str, dict[str, Any]] = {}
    sims: list[dict[str, Any]] = []

    if "timers" in chosen:
        section(f"escalation burst: {n:,} due at once, vs Celery and APScheduler (each on its own redis)")
        burst = timers.run(n, 0, True, True, ["1", "60"], [2] if quick else [2, 1])

    if "steady" in chosen:
        duration = 10.0 if quick else 30.0
        section(f"steady escalations: 200/s for {duration:.0f} s on one serve")
        with quiet_router_logs():
            steady_result = asyncio.run(steady.run(200.0, duration))
        for line in steady.report(steady_result):
            print(line)

    if "intake" in chosen:
        duration = 5.0 if quick else 10.0
        section(f"intake at fixed rates (open loop), {duration:.0f} s each, one serve")
        fixed = asyncio.run(openloop.run([500.0, 2000.0], duration))
        for r in fixed:
            for line in openloop.report(r):
                print(line)
        section(f"intake at 2,000/s (open loop), {duration:.0f} s, `serve --workers 2` (router/workers.py)")
        intake.SERVE_WORKERS[0] = 2
        try:
            spread = asyncio.run(openloop.run([2000.0], duration))
        finally:
            intake.SERVE_WORKERS[0] = 1
        for r in spread:
            for line in openloop.report(r):
                print(line)
        fixed += spread
        section(f"intake, closed loop (c requests in flight), {duration:.0f} s each, one serve")
        closed = asyncio.run(intake.run([1, 16], duration, 12_000, 40))
        for r in closed:
            for line in intake.report_line(r):
                print(line)

    if "costs" in chosen:
        ops = 100 if quick else 200
        section(f"cost per operation, in-process, {ops} of each, one at a time")
        with earlier_phases_set_aside(), quiet_router_logs():
            costs = asyncio.run(roundtrips.measure(ops))
        for name, cost in costs.items():
            print(roundtrips.cost_line(name, cost))
        section("a message as the conversation grows (CPU a message; a cold read by another instance)")
        with earlier_phases_set_aside(), quiet_router_logs():
            for line in asyncio.run(conversation.measure([10, 500, 980], 80, 20)):
                print(line)

    if "sim" in chosen:
        section(
            "simulator speed (modest sizes; the 200,000-contact year: python -m simulations.bench.sim_speed)"
        )
        sims = [
            asyncio.run(sim_speed.timed(sim_speed.mmc(2_000), "m/m/c", False)),
            asyncio.run(sim_speed.timed(sim_speed.busy_hotline(3_000 if quick else 10_000), "year", False)),
        ]
        if not quick:
            # As the staffing planner and `simulate` run a window of four weeks or more: in
            # segments of two weeks, one process per core (20,000 contacts: 36 days, 2 segments).
            sims.append(asyncio.run(sim_speed.timed_segments(sim_speed.busy_hotline(20_000), workers=2)))
        for s in sims:
            how = f", {s['segments']} segments on {s['workers']} workers" if "segments" in s else ""
            print(
                f"{s['scenario']}{how}: {s['contacts']:,} contacts in {s['wall_s']:.1f} s wall = "
                f"{s['contacts_per_s']:,.0f} contacts/s ({s['contacts_per_cpu_s']:,.0f} per CPU second), "
                f"{s['within_target_pct']}% within target, {s['breaches']:,} breaches"
            )

    if "oncall" in chosen:
        section("on-call lookups on a large roster")
        oncall.main(["--lookups", "50000"] if quick else [])

    section(f"summary ({time.monotonic() - began:,.0f} s wall; {machine()})")
    for table in (
        _summary.burst_table(burst),
        _summary.intake_table(fixed, closed),
        _summary.cost_table(costs),
    ):
        if table:
            print("\n".join(table) + "\n")
    if steady_result is not None:
        w = steady_result["written_s"]
        print(
            f"steady {steady_result['rate']:.0f}/s: {steady_result['fired']:,}/{steady_result['timers']:,} "
            f"fired, lateness p50 {w['p50'] * 1000:.1f} ms, p99 {w['p99'] * 1000:.1f} ms, "
            f"max {w['max'] * 1000:.1f} ms\n"
        )
    print("targets (issue #13, this run):")
    for line in _summary.targets(burst, steady_result, fixed, sims):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
