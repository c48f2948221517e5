"""Escalation timers in a burst (6,000 due at once by default), against Celery and APScheduler.

    python -m simulations.bench.timers [--contacts 6000] [--instances 2[,1]] [--load-concurrency 0]
                                       [--no-celery] [--no-apscheduler] [--grace 1,60]

Never run by the test suite. The workload, the same for every system: N timers all due at one
instant D (a burst, the worst case: e.g. after an outage, or a wave of contacts with the same
escalation step), each recording when it fired. Lateness = fired - D; "fired per second" = the
timers fired / (last fired - D). Each system gets its own fresh redis-server on loopback.

- SafetyNet: `--instances` `safetynet serve` processes (two by default) start on one redis-server
  and wait; N contacts are then taken in by the real engine (in this process, same Redis) with
  the clock held at D - 600 s, nobody on call and a protocol whose first escalation step is after
  600 s, so all N escalations fall due at D. The instances' timer loops claim batches from the
  shared timer set (each its own) and fire them (each a transition guarded by the contact's
  revision, its `escalated` event, a look for whom to page, dispatch). Fired = when the
  `escalated` event was written (its stream id: Redis's clock, ms). Cost per escalation: the
  serves' CPU (/proc), Redis commands (INFO commandstats) and round trips (counted in the
  serves), from 1 s before D until the last one fired (simulations/bench/_measure.py).
  `--load-concurrency K` adds a run with K intake requests in flight throughout.
- Celery (if installed: `pip install '.[bench]'`): one worker (prefork, 2 processes) on a Redis
  broker; N `apply_async(eta=D)` tasks whose body records time.time() in Redis.
- APScheduler 3.x: a BackgroundScheduler (thread pool of 10) with RedisJobStore, N date jobs at D,
  once per `--grace` value of `misfire_grace_time` (1 s is its default); a job that starts later
  than that is dropped (and deleted), which is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis as syncredis

from router.clock import VirtualClock
from router.keys import Keys
from simulations.bench import intake as intake_bench
from simulations.bench._inproc import engine_on, intake_many, intake_rate
from simulations.bench._measure import Meter, cost_line
from simulations.bench._procs import (
    HOST,
    machine,
    protocol_yaml,
    read_events,
    redis_server,
    serve,
)
from simulations.bench.peers import apscheduler, celery, celery_available, result_of
from simulations.runner import quiet_router_logs

ESCALATE_AFTER_S = 600


async def _wait_escalated(redis_url: str, n: int, deadline: float) -> int:
    """Until n `escalated` events are in the stream (read incrementally) or the deadline.
    Returns the XRANGE calls it made (the bench's own commands, taken out of the counts)."""
    client: Any = syncredis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    key, last, seen, calls = Keys("default").events, "-", 0, 0
    try:
        while seen < n and time.time() < deadline:
            rows = await client.xrange(key, min=last, max="+", count=5000)
            calls += 1
            if rows:
                last = "(" + rows[-1][0]
                seen += sum(1 for _, f in rows if '"event":"escalated"' in f["e"].replace(" ", ""))
            else:
                await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    return calls


async def safetynet(
    n: int, load_concurrency: int, instances: int = 2, lead_margin_s: float = 8.0
) -> dict[str, Any]:
    """n escalations due at one instant, fired by `instances` serves sharing one redis-server."""
    text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after=f"{ESCALATE_AFTER_S}s")
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-timers-") as tmp:
        workdir = Path(tmp)
        proto = workdir / "protocol.yaml"
        proto.write_text(text)
        async with contextlib.AsyncExitStack() as stack:
            # The instances first (they only wait: nothing is due before D), so that their start
            # is not on the clock; each claims its own batches from the shared timer set.
            insts = [
                await stack.enter_async_context(serve(rs.url, text, workdir, counted=True))
                for _ in range(instances)
            ]
            per_contact = await intake_rate(rs.url, proto, workdir)
            due = time.time() + 1.5 * per_contact * n + lead_margin_s
            clock = VirtualClock(datetime.fromtimestamp(due - ESCALATE_AFTER_S, UTC))
            began = time.perf_counter()
            async with engine_on(rs.url, proto, workdir, clock) as svc:
                ids = set(await intake_many(svc, clock, n, "1"))
            load_s = time.perf_counter() - began
            loaded_before_due_s = due - time.time()
            # The instances' views catch up on the intake events; measure from just before D.
            await asyncio.sleep(max(0.0, due - 1.0 - time.time()))
            meter = Meter(rs.url, [(i.proc.pid, i.count_file) for i in insts], rs.pid)
            await meter.start()
            load_task: asyncio.Task[intake_bench.Load] | None = None
            if load_concurrency > 0:
                window = max(5.0, due - time.time()) + 30 + n / 200
                load_task = asyncio.create_task(
                    intake_bench.generate(insts[0], load_concurrency, window, 10**9, "7")
                )
            polls = await _wait_escalated(rs.url, n, due + 60 + n / 50)
            usage = await meter.stop({"xrange": polls})
            load: intake_bench.Load | None = None
            if load_task is not None:
                load_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    load = await load_task
        events = await read_events(rs.url)
    # Fired = when the `escalated` event was written (Redis's clock, ms): the escalation done.
    mine = [e for e in events if e.get("contact_id") in ids]
    fired = [e["_written_ms"] / 1000 for e in mine if e.get("event") == "escalated"]
    taken_in = sum(1 for e in events if e.get("event") == "received" and e.get("contact_id") not in ids)
    name = f"SafetyNet, {instances} instance{'s' if instances > 1 else ''}"
    if load_task is not None:
        name += f" + intake load ({load_concurrency} in flight)"
    result = result_of(name, n, due, fired)
    result.update(
        {
            "instances": instances,
            "intake_s": load_s,
            "intake_per_s": n / load_s,
            "loaded_before_due_s": loaded_before_due_s,
            "intake_during_firing": taken_in,
            "intake_load": load is not None or load_task is not None,
            "cost": usage.per_op(len(fired)) if not load_task else {},
        }
    )
    return result


def fmt(r: dict[str, Any]) -> str:
    lat = r["lateness_s"]
    extra = ""
    if "dropped" in r:
        extra = f", DROPPED {r['dropped']:,} ({100 * r['dropped'] / r['timers']:.0f}%)"
    if r["fired"] + r.get("dropped", 0) < r["timers"]:
        extra += f", {r['timers'] - r['fired'] - r.get('dropped', 0):,} never fired within the bound"
    cost = f"\n    {cost_line('cost per escalation', r['cost'])}" if r.get("cost") else ""
    return (
        f"{r['system']}\n"
        f"    {r['fired']:,}/{r['timers']:,} fired{extra}\n"
        f"    lateness p50 {lat['p50']:.3f}s  p99 {lat['p99']:.3f}s  max {lat['max']:.3f}s; "
        f"{r['fired_per_s']:,.0f} fired/s{cost}"
    )


def ratios(base: dict[str, Any], others: list[dict[str, Any]]) -> list[str]:
    lines = []
    b = base["lateness_s"]["p99"]
    for o in others:
        p = o["lateness_s"]["p99"]
        if o["fired"] == 0 or b != b or p != p:
            lines.append(f"  vs {o['system']}: no ratio (nothing fired)")
            continue
        lines.append(
            f"  p99 lateness SafetyNet / {o['system']}: {b / p:.2f} "
            f"({b:.3f}s vs {p:.3f}s); fired/s {base['fired_per_s']:,.0f} vs {o['fired_per_s']:,.0f}"
            + (f"; it dropped {o['dropped']:,}" if o.get("dropped") else "")
        )
    return lines


def run(
    n: int,
    load_concurrency: int,
    with_celery: bool,
    with_aps: bool,
    graces: list[str],
    instances: list[int] | None = None,
) -> list[dict[str, Any]]:
    """SafetyNet once per instance count (the first is the one compared), then the peers."""
    results = []
    for k in instances or [2]:
        with quiet_router_logs():
            results.append(asyncio.run(safetynet(n, 0, k)))
        print(fmt(results[-1]), flush=True)
    if load_concurrency > 0:
        with quiet_router_logs():
            results.append(asyncio.run(safetynet(n, load_concurrency, (instances or [2])[0])))
        print(
            fmt(results[-1]),
            f"\n    ({results[-1]['intake_during_firing']:,} contacts taken in meanwhile)",
            flush=True,
        )
    if with_celery:
        if celery_available():
            results.append(celery(n))
            print(fmt(results[-1]), flush=True)
        else:
            print("Celery: not installed, comparison skipped (pip install -e '.[bench]')", flush=True)
    if with_aps:
        for g in graces:
            results.append(apscheduler(n, g))
            print(fmt(results[-1]), flush=True)
    print("ratios (below 1: SafetyNet fires its p99 earlier):")
    for line in ratios(results[0], [r for r in results[1:] if not r["system"].startswith("SafetyNet")]):
        print(line)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.timers", description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=6_000, help="timers due at once, per system")
    p.add_argument("--instances", default="2", help="serves on one Redis, e.g. 2,1 (first compared)")
    p.add_argument("--load-concurrency", type=int, default=0, help="also a run with K intakes in flight")
    p.add_argument("--no-celery", action="store_true")
    p.add_argument("--no-apscheduler", action="store_true")
    p.add_argument("--grace", default="1,60", help="APScheduler misfire_grace_time values (s, or none)")
    args = p.parse_args(argv)
    print(f"timers: {machine()}")
    print(f"method: {args.contacts:,} timers due at one instant per system, each on a fresh redis at {HOST}")
    run(
        args.contacts,
        args.load_concurrency,
        not args.no_celery,
        not args.no_apscheduler,
        [g.strip() for g in args.grace.split(",") if g.strip()],
        [int(k) for k in args.instances.split(",") if k.strip()],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
