"""Simulator speed: simulated contacts per wall-clock second, and a busy hotline's year end to end.

    python -m simulations.bench.sim_speed [--contacts 200000] [--quick 5000]

Never run by the test suite. Two runs on the real engine with the in-memory store:
`quick` is the M/M/c case (instant responders, one channel: the engine's floor cost per
contact); `year` is a busy four-channel hotline with realistic responders (reaction times,
declines, phones ringing out, callers hanging up, escalations), sized to `--contacts`.
Then each again in segments (simulations/segments.py) with 1 and with 2 worker processes, side
by side: contacts per wall second, per CPU second across the processes, and the ratio of wall
times. `contacts` of a segmented run counts each instant's arrivals once (its segments' warm-ups
are work, not contacts); its CPU is the segments' own plus the caller's, not the pool's start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import resource
import sys
import time
from typing import Any

from simulations.bench._speed import reference_ms
from simulations.progress import ProgressBar
from simulations.results import results
from simulations.runner import Simulation, quiet_router_logs
from simulations.scenario import Scenario, parse_scenario
from simulations.segments import run_segments

YEAR_CONTACTS = 200_000
# Share of contacts and a daily rhythm (relative weight per hour from 00:00).
MIX = {"voice": 0.45, "sms": 0.30, "chat": 0.15, "email": 0.10}
DAY_SHAPE = [3, 2, 2, 1, 1, 2, 3, 4, 6, 7, 7, 7, 7, 7, 7, 8, 9, 10, 11, 11, 10, 8, 6, 4]


def busy_hotline(contacts: int) -> Scenario:
    """`contacts` over the measured days at 200,000 a year, on a weekly rhythm."""
    per_hour_mean = YEAR_CONTACTS / (365 * 24)
    scale = per_hour_mean * 24 / sum(DAY_SHAPE)
    days = 365 * contacts / YEAR_CONTACTS
    return parse_scenario(
        {
            "name": f"busy-hotline-{contacts}",
            "days": days,
            "warmup": "1d",
            "seed": 1,
            "responders": {"count": 12, "capacity": {"voice": 1, "sms": 3, "chat": 2, "email": 5}},
            "arrivals": {ch: [w * scale * share for w in DAY_SHAPE] for ch, share in MIX.items()},
            "handle": {
                "voice": {"kind": "lognormal", "mean": "14m", "sd": "10m"},
                "sms": {"kind": "lognormal", "mean": "25m", "sd": "15m"},
                "chat": {"kind": "lognormal", "mean": "20m", "sd": "12m"},
                "email": {"kind": "empirical", "values": ["5m", "8m", "10m", "15m", "30m"]},
            },
            "patience": {"voice": {"kind": "exponential", "mean": "15m"}},
            "behaviour": {
                "react": {"kind": "lognormal", "mean": "30s", "sd": "25s"},
                "accept": 0.92,
                "no_answer": 0.05,
                "answer_delay": {"kind": "exponential", "mean": "20s"},
            },
        }
    )


def mmc(contacts: int) -> Scenario:
    """M/M/4 at 75% load, with the protocol overrides the Erlang C tests use: without them the
    default wrap-up adds to every service time (the queue grew without end: 8% within target,
    4,726 breaches and 24,489 timers at 5,000 contacts), and offers time out and escalate."""
    per_hour = 30.0
    return parse_scenario(
        {
            "name": f"mm4-{contacts}",
            "days": contacts / (per_hour * 24),
            "warmup": "0s",
            "responders": {"count": 4, "channels": ["voice"], "capacity": {"voice": 1}},
            "arrivals": {"voice": per_hour},
            "handle": {"voice": {"kind": "exponential", "mean": "6m"}},
            # As tests/simulations/test_erlang.py: no offer times out, nothing escalates, no wrap-up.
            "protocol": {"response_target": "30d", "offer_timeout": "30d", "wrap_up": "0s"},
        }
    )


def _forget_earlier_runs() -> None:
    """Free what the runs before left, before the clock starts: a Simulation is a cycle, so the
    200,000-contact year waited for the next run's start to be collected (12.6 s here, counted as the
    M/M/4 segmented run's until this)."""
    gc.collect()


async def timed(sc: Scenario, label: str, report: bool) -> dict[str, Any]:
    _forget_earlier_runs()
    bar = ProgressBar(label)
    started = time.perf_counter()
    # CPU time too: on a shared machine it is the steadier of the two.
    cpu_started = time.process_time()
    with quiet_router_logs():
        sim = await Simulation(sc, progress=bar).run()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        bar.close()
        report_s = None
        if report:
            started = time.perf_counter()
            await results(sim)
            report_s = time.perf_counter() - started
    records = sim.tally.window(sim.w0, sim.w1)
    within = sum(1 for r in records if r.answered_s is not None and r.answered_s <= r.target_s)
    return {
        "scenario": sc.name,
        "contacts": sim.arrivals,
        "simulated_days": round((sim.end - sim.t0).total_seconds() / 86400, 1),
        "wall_s": round(wall, 2),
        "contacts_per_s": round(sim.arrivals / wall, 1),
        "cpu_s": round(cpu, 2),
        "contacts_per_cpu_s": round(sim.arrivals / cpu, 1),
        "timers_fired": sim.timers.fired,
        "report_s": round(report_s, 2) if report_s is not None else None,
        "within_target_pct": round(100 * within / len(records), 2) if records else None,
        "breaches": sum(1 for r in records if r.breached_s is not None),
    }


async def timed_segments(sc: Scenario, workers: int) -> dict[str, Any]:
    _forget_earlier_runs()
    started = time.perf_counter()
    with quiet_router_logs():
        run = await run_segments(sc, workers=workers)
    wall = time.perf_counter() - started
    m = run.measured
    records = m.records
    within = sum(1 for r in records if r.answered_s is not None and r.answered_s <= r.target_s)
    return {
        "scenario": sc.name,
        "segments": m.segments,
        "workers": run.workers,
        "contacts": m.arrivals,
        "wall_s": round(wall, 2),
        "contacts_per_s": round(m.arrivals / wall, 1),
        "cpu_s": round(run.cpu_s, 2),
        "contacts_per_cpu_s": round(m.arrivals / run.cpu_s, 1),
        "timers_fired": m.timers_fired,
        "within_target_pct": round(100 * within / len(records), 2) if records else None,
        "breaches": sum(1 for r in records if r.breached_s is not None),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.sim_speed", description=__doc__)
    p.add_argument("--contacts", type=int, default=YEAR_CONTACTS, help="size of the busy-hotline run")
    p.add_argument("--quick", type=int, default=5_000, help="size of the M/M/c run")
    p.add_argument(
        "--report",
        action="store_true",
        help="also time the production compliance report (router.reports) on each run",
    )
    p.add_argument(
        "--segmented",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run each scenario in segments with 1 and 2 worker processes",
    )
    args = p.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"reference workload {reference_ms():.1f} ms CPU, "
        f"Python {platform.python_version()}"
    )
    print("method: one process, the real Engine on a MemoryStore and a VirtualClock; wall time")
    runs = [asyncio.run(timed(mmc(args.quick), "m/m/c", args.report))]
    runs.append(asyncio.run(timed(busy_hotline(args.contacts), "year", args.report)))
    for run in runs:
        report = f", report {run['report_s']:.1f}s" if run["report_s"] is not None else ""
        print(
            f"{run['scenario']:<22} {run['contacts']:>8,} contacts over "
            f"{run['simulated_days']:>6} simulated days "
            f"in {run['wall_s']:>8.1f}s wall: {run['contacts_per_s']:>7.1f} contacts/s "
            f"({run['contacts_per_cpu_s']:.1f} per CPU second), "
            f"{run['timers_fired']:,} timers fired, {run['within_target_pct']}% within target, "
            f"{run['breaches']:,} breaches{report}"
        )
    if args.segmented:
        print("segmented (simulations/segments.py), worker processes 1 and 2 side by side:")
        for sc in (mmc(args.quick), busy_hotline(args.contacts)):
            one, two = (asyncio.run(timed_segments(sc, w)) for w in (1, 2))
            for run in (one, two):
                print(
                    f"{run['scenario']:<22} {run['segments']:>3} segments, {run['workers']} worker(s): "
                    f"{run['contacts']:>8,} contacts in {run['wall_s']:>7.1f}s wall: "
                    f"{run['contacts_per_s']:>7.1f} contacts/s "
                    f"({run['contacts_per_cpu_s']:.1f} per CPU second across processes), "
                    f"{run['timers_fired']:,} timers fired, {run['within_target_pct']}% within target, "
                    f"{run['breaches']:,} breaches"
                )
            ratio = one["wall_s"] / two["wall_s"]
            print(f"{'':<22} 2 workers / 1 worker: {ratio:.2f}x the contacts per wall second")
    # ru_maxrss is kilobytes on Linux: the store keeps every contact and event in memory.
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
