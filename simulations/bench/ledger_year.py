"""A simulated year with the ledger writer and the Redis-bounding jobs running: the live
store stays bounded while the ledger holds the whole year; then the year's report is timed.

    python -m simulations.bench.ledger_year [--contacts 200000] [--ledger sqlite+aiosqlite:///y.db]

Never run by the test suite. The real Engine on a MemoryStore and a VirtualClock (as
simulations.bench.sim_speed's busy hotline); every simulated hour the writer files what the
stream holds and the jobs trim the stream beyond the window (7 days) and forget contacts that
ended more than the grace period (24 h) ago, exactly as `serve` runs them. The live store's
size is sampled each hour: contacts held, stream entries, and the bytes of their JSON (what
Redis would hold as values, before its own per-key overhead).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select

from router.ledger import Ledger
from router.ledger.bounded import Bounds
from router.ledger.schema import contacts, events
from router.ledger.writer import Writer
from router.reports import compliance
from router.store import MemoryStore
from simulations.bench.sim_speed import YEAR_CONTACTS, busy_hotline
from simulations.progress import ProgressBar
from simulations.runner import Simulation, quiet_router_logs

EVERY = timedelta(hours=1)


@dataclass
class Peak:
    contacts: int = 0
    events: int = 0
    bytes: int = 0
    arrivals: int = 0  # people's arrivals kept (keyed hash, time, contact id each)


def _json_size(items: list[BaseModel], sample: int = 200) -> int:
    """Bytes of JSON the items would take as values, estimated from an even sample."""
    if not items:
        return 0
    step = max(1, len(items) // sample)
    chosen = items[::step]
    return round(sum(len(i.model_dump_json()) for i in chosen) * len(items) / len(chosen))


def live_size(store: MemoryStore) -> tuple[int, int, int, int]:
    # the bench reads the memory store's own maps to weigh what Redis would hold
    held: list[BaseModel] = list(store._contacts.values())
    size = _json_size(held) + _json_size([e for _, e in store._events])
    size += _json_size(list(store._offers.values())) + _json_size(list(store._timer_data.values()))
    return len(held), len(store._events), size, sum(len(times) for times in store._arrivals.values())


async def run(size: int, url: str) -> dict[str, Any]:
    ledger = Ledger.open(url)
    await ledger.upgrade()
    sim = Simulation(busy_hotline(size), progress=ProgressBar("year"))
    store = sim.store
    writer = Writer(store, ledger, sim.clock, batch=5000)
    bounds = Bounds(store, ledger, sim.clock, every=timedelta(0))
    peak = Peak()
    state: dict[str, datetime] = {"next": sim.t0 + EVERY}
    fire: Callable[[], Awaitable[int]] = sim.timers.fire_due
    housekeeping_s = 0.0

    async def fire_and_keep() -> int:
        nonlocal housekeeping_s
        fired = await fire()
        if sim.clock.now() >= state["next"]:
            state["next"] = sim.clock.now() + EVERY
            started = time.perf_counter()
            await writer.catch_up()
            await bounds()
            housekeeping_s += time.perf_counter() - started
            n_contacts, n_events, size, n_arrivals = live_size(store)
            peak.arrivals = max(peak.arrivals, n_arrivals)
            peak.contacts = max(peak.contacts, n_contacts)
            peak.events = max(peak.events, n_events)
            peak.bytes = max(peak.bytes, size)
        return fired

    sim.timers.fire_due = fire_and_keep  # type: ignore[method-assign]
    started = time.perf_counter()
    with quiet_router_logs():
        await sim.run()
    wall = time.perf_counter() - started
    await writer.catch_up()
    async with ledger.engine.connect() as conn:
        rows = (await conn.execute(select(func.count()).select_from(contacts))).scalar()
        n_events = (await conn.execute(select(func.count()).select_from(events))).scalar()
        first, last = (
            await conn.execute(select(func.min(contacts.c.received_at), func.max(contacts.c.received_at)))
        ).one()
    roster = await store.latest_version()
    timings = []
    for _ in range(3):
        t = time.perf_counter()
        report = await compliance(ledger, sim.w0, sim.w1, sim.end, sim.scenario.protocol, roster)
        timings.append(time.perf_counter() - t)
    end_contacts, end_events, end_bytes, end_arrivals = live_size(store)
    await ledger.close()
    return {
        "arrivals": sim.arrivals,
        "simulated_days": round((sim.end - sim.t0).total_seconds() / 86400, 1),
        "wall_s": round(wall, 1),
        "housekeeping_s": round(housekeeping_s, 1),
        "peak_live": peak,
        "end_live": (end_contacts, end_events, end_bytes, end_arrivals),
        "ledger_contacts": rows,
        "ledger_events": n_events,
        "ledger_span": (first, last),
        "report_s": [round(t, 3) for t in timings],
        "report_contacts": report["contacts"],
        "report_callback_tasks": report["callback_tasks"],
        "ratings": {k: v["rating"] for k, v in report["standards"].items()},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.ledger_year", description=__doc__)
    p.add_argument("--contacts", type=int, default=YEAR_CONTACTS)
    p.add_argument("--ledger", default=None, help="ledger URL (default: a SQLite file in a temp dir)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.ledger or f"sqlite+aiosqlite:///{Path(tmp) / 'ledger.db'}"
        out = asyncio.run(run(args.contacts, url))
        size_mb = (Path(tmp) / "ledger.db").stat().st_size / 1e6 if not args.ledger else None
    peak: Peak = out["peak_live"]
    end_contacts, end_events, end_bytes, end_arrivals = out["end_live"]
    first, last = out["ledger_span"]
    lines = [
        f"{out['arrivals']:,} contacts over {out['simulated_days']} simulated days in {out['wall_s']}s wall",
        f"  housekeeping (writer + trim + forget contacts and arrivals, hourly): {out['housekeeping_s']}s",
        f"  live store peak: {peak.contacts:,} contacts, {peak.events:,} stream entries, "
        f"{peak.bytes / 1e6:.1f} MB of values (JSON, estimated), {peak.arrivals:,} arrivals kept",
        f"  live store at the end: {end_contacts:,} contacts, {end_events:,} entries, "
        f"{end_bytes / 1e6:.1f} MB, {end_arrivals:,} arrivals kept",
        f"  ledger: {out['ledger_contacts']:,} contacts, {out['ledger_events']:,} events, {first} .. {last}",
        f"  ledger file: {size_mb:.0f} MB" if size_mb is not None else "  ledger: " + args.ledger,
        f"  report over the run: {out['report_s']} s; {out['report_contacts']:,} contacts, "
        f"{out['report_callback_tasks']:,} callback tasks",
        f"  ratings: {out['ratings']}",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
