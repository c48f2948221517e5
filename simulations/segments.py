"""A long run as consecutive segments of its window, each a whole `Simulation`, on several cores.

One `Simulation` is one event loop on one core (~1,650 busy-hotline contacts per CPU second
on the 2-core machine, with no function above ~6% of a profile). A long window [w0, w1) is cut
into k consecutive sub-windows; each is simulated by a `Simulation` of its own, started from an
empty hotline with the scenario's own warm-up before it and drain after it, exactly as a whole
run starts, and seeded from (seed, segment index). Each segment measures its own sub-window:
the contacts received in it, utilisation inside it, pages and arrivals inside its stretch of
time. The merge adds them up, and a compliance report is read from the rows of every segment's
ledger (simulations/segment_ledger.py).

Segments are independent, so they run in a process pool. What a run reports depends on the
run alone: k comes from the window's length (`segments_for`), never from the machine, and the
worker count only changes how soon the answer comes. A run of one segment is a plain
`Simulation`, the same code path as before. A run of several agrees with a whole run
statistically, not event for event: its queue starts empty k times instead of once (the
warm-up is there to forget that), and its random streams are the segments' own.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from router.models import Event
from schedules import RosterVersion, Shift
from simulations.measured import Measured, Part
from simulations.quiet import quiet_router_logs
from simulations.report import ContactRecord
from simulations.results import figures, results
from simulations.runner import Progress, Simulation, collector_paused
from simulations.scenario import WEEK_HOURS, Scenario
from simulations.segment_ledger import LedgerRows, file_segment, merged_compliance
from simulations.utilisation import BusyTime

RosterFn = Callable[[datetime, datetime], list[Shift]]
# The segment policy. Each segment pays for its own warm-up (a day by default) and drain, and
# its queue starts empty, so a window is cut into as few segments as its workers can share
# evenly. A window shorter than two segments' worth is one segment, a plain `Simulation`; up to
# EVEN_SEGMENTS of them, segments are two weeks or a little more (the 4-week staffing trial is
# two: one for each core of a 2-core machine). A longer window is a multiple of EVEN_SEGMENTS,
# which 1, 2, 3, 4 and 6 workers share evenly, each segment at most MAX_SEGMENT_DAYS (its store
# is held in memory): a year is 12 segments of ~30 days, 12 days of warm-up simulated where 26
# segments of two weeks simulated 26 (3.6% less in all).
SEGMENT_DAYS = 14.0
EVEN_SEGMENTS = 12
MAX_SEGMENT_DAYS = 61.0
# Segment k's ids count from k * ID_BLOCK + 1 (the ledger merge needs distinct contact ids);
# a segment makes ~10 ids per contact and lasts at most MAX_SEGMENT_DAYS, far inside its block.
ID_BLOCK = 10_000_000
MAX_WORKERS = 8
MS = timedelta(milliseconds=1)


def segments_for(days: float) -> int:
    """How many segments a window of `days` is simulated in (see SEGMENT_DAYS)."""
    short = math.floor(days / SEGMENT_DAYS)
    if short <= EVEN_SEGMENTS:
        return max(1, short)
    return EVEN_SEGMENTS * math.ceil(days / (EVEN_SEGMENTS * MAX_SEGMENT_DAYS))


def default_workers() -> int:
    """The cores this process may use, at most MAX_WORKERS (each holds a segment's store)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


# Below this many expected contacts a run is a few seconds' work at most: starting worker
# processes and handing them the work costs more than the second core gives back (the light
# weekly hotline's plan took 3.67 s on one worker and 4.44 s on two).
WORTH_WORKERS = 20_000


def workers_for(sc: Scenario, days: float | None = None) -> int:
    """The default worker count for a run: one for a light run, else the cores available.
    Speed only: what a run reports never depends on it."""
    weekly = sum(sum(sc.rate_per_hour(ch, how) for how in range(WEEK_HOURS)) for ch in sc.arrivals)
    expected = weekly * (sc.days if days is None else days) / 7
    return default_workers() if expected >= WORTH_WORKERS else 1


def segment_seed(seed: int, index: int) -> int:
    """A segment's seed, from the run's seed and its index: its random streams are its own."""
    digest = hashlib.sha256(f"{seed}:segment:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class SegmentTask:
    """What a worker needs to run one segment: plain, picklable data (a roster function must
    be a module-level function or a functools.partial of one)."""

    scenario: Scenario
    index: int
    count: int
    lo: datetime  # the sub-window [lo, hi)
    hi: datetime
    seed: int
    roster: RosterFn | None
    ledger: bool


@dataclass
class SegmentResult:
    """What one segment measured over its own sub-window, and what it cost."""

    index: int
    end: datetime
    records: list[ContactRecord]
    utilisation: BusyTime
    arrivals: int  # people reaching out inside its stretch of time (see _stretch)
    pages: int
    timers_fired: int  # all of them, warm-up and drain included: the work done
    cpu_s: float
    roster: RosterVersion | None
    ledger: LedgerRows | None = None

    def __repr__(self) -> str:
        # Short, not every record: a worker's `asyncio.run` builds the repr of its finished
        # task, result included, when it restores SIGINT's handler (Python 3.11's
        # `signal.getsignal` formats a handler that is no `Handlers` member into a ValueError
        # it then discards). The dataclass's own repr wrote out all ~8,000 records of a
        # two-week segment, 2.3 MB in 28 ms, thrown away.
        return (
            f"SegmentResult(index={self.index}, records={len(self.records)}, "
            f"timers_fired={self.timers_fired}, cpu_s={self.cpu_s:.3f})"
        )


def _stretch(task: SegmentTask) -> tuple[datetime | None, datetime | None]:
    """The stretch of time a segment speaks for: its sub-window, with the first segment's
    warm-up and the last one's drain, so that counts over the whole run add up once."""
    return (None if task.index == 0 else task.lo, None if task.index == task.count - 1 else task.hi)


def _inside(at: datetime, lo: datetime | None, hi: datetime | None) -> bool:
    return (lo is None or at >= lo) and (hi is None or at < hi)


async def run_segment_async(task: SegmentTask) -> SegmentResult:
    cpu = time.process_time()
    sc = task.scenario
    days = (task.hi - task.lo) / timedelta(days=1)
    start = task.lo - timedelta(seconds=sc.warmup)
    sim = Simulation(
        sc.model_copy(update={"start": start}),
        days=days,
        seed=task.seed,
        roster=task.roster,
        first_id=task.index * ID_BLOCK + 1,
    )
    await sim.run()
    # Reading and filing beside the whole store, which a full collection would walk (runner.py).
    with collector_paused():
        records = sim.tally.window(task.lo, task.hi)
        lo, hi = _stretch(task)
        mine = {r.id for r in records} if task.ledger else set()  # whose events the ledger files
        kept: list[Event] = []
        arrivals = 0
        for _, ev in await sim.store.read_events("0", 1 << 62):
            if ev.contact_id is None:
                if _inside(ev.at, lo, hi):
                    kept.append(ev)
                continue
            if ev.event == "received" and _inside(ev.at, lo, hi):
                # People reaching out, not the callback tasks the engine makes.
                arrivals += (ev.__pydantic_extra__ or {}).get("kind") == "contact"
            if task.ledger and ev.contact_id in mine:
                kept.append(ev)
        ledger = await file_segment(kept, sim.end) if task.ledger else None
        roster = await sim.store.latest_version()
        # A worker runs one segment after another: the store let go of now, before the next run's
        # start collects what this one left (memory.py `clear`).
        sim.store.clear()
    return SegmentResult(
        index=task.index,
        end=sim.end,
        records=records,
        utilisation=sim.utilisation.sums(),
        arrivals=arrivals,
        pages=sum(1 for at in sim.notifier.paged_at if _inside(at, lo, hi)),
        timers_fired=sim.timers.fired,
        cpu_s=time.process_time() - cpu,
        roster=roster,
        ledger=ledger,
    )


def run_segment(task: SegmentTask) -> SegmentResult:
    """A worker process's entry point: one segment, in an event loop of its own."""
    with quiet_router_logs():
        return asyncio.run(run_segment_async(task))


def boundaries(w0: datetime, days: float, count: int) -> list[datetime]:
    """count + 1 instants from w0 to the window's end, on whole milliseconds (the simulator's
    resolution), so that consecutive sub-windows tile the window exactly."""
    total_ms = round(days * 86_400_000)
    return [w0 + round(total_ms * i / count) * MS for i in range(count + 1)]


def _context() -> multiprocessing.context.BaseContext:
    """Forkserver where there is one: workers fork from a server that has imported the engine
    once, without inheriting the caller's threads or running event loop (fork from inside a
    running asyncio loop is unsafe); spawn elsewhere."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["simulations.segments"])
        return ctx
    return multiprocessing.get_context("spawn")


_pools: dict[int, Executor] = {}


def _pool(workers: int) -> Executor:
    """One pool per worker count for the life of the process: the staffing planner runs
    several trials, and starting two workers costs ~0.9 s each time (shut down at exit)."""
    if workers not in _pools:
        _pools[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    return _pools[workers]


@dataclass
class Segmented:
    """A run in segments: what it measured, and its compliance report when one was asked for."""

    measured: Measured
    compliance: dict[str, Any] | None
    cpu_s: float  # across processes: the segments' own CPU plus the caller's
    workers: int
    parts: list[SegmentResult] = field(default_factory=list)


async def run_segments(
    sc: Scenario,
    days: float | None = None,
    roster: RosterFn | None = None,
    workers: int = 1,
    ledger: bool = False,
    progress: Progress | None = None,
    count: int | None = None,
) -> Segmented:
    """Simulate [w0, w1) in `count` segments (default: `segments_for` its length) on `workers`
    processes (1: in this process, one after another), and merge what they measured."""
    cpu = time.process_time()
    days = sc.days if days is None else days
    count = segments_for(days) if count is None else count
    t0 = sc.start.replace(microsecond=sc.start.microsecond // 1000 * 1000)
    w0 = t0 + timedelta(seconds=sc.warmup)
    edges = boundaries(w0, days, count)
    tasks = [
        SegmentTask(sc, i, count, edges[i], edges[i + 1], segment_seed(sc.seed, i), roster, ledger)
        for i in range(count)
    ]
    done: list[SegmentResult] = []

    def finished(r: SegmentResult) -> None:
        done.append(r)
        if progress is not None:
            progress(len(done) / count, sum(d.arrivals for d in done))

    workers = max(1, min(workers, count))
    if workers == 1:
        for task in tasks:
            finished(await run_segment_async(task))
    else:
        loop = asyncio.get_running_loop()
        pool = _pool(workers)
        futures = [loop.run_in_executor(pool, run_segment, task) for task in tasks]
        for future in asyncio.as_completed(futures):
            finished(await future)
    parts = sorted(done, key=lambda r: r.index)
    return await _merge(sc, parts, edges, roster, t0, cpu, workers)


async def _merge(
    sc: Scenario,
    parts: list[SegmentResult],
    edges: list[datetime],
    roster: RosterFn | None,
    t0: datetime,
    cpu: float,
    workers: int,
) -> Segmented:
    busy = BusyTime()
    for part in parts:
        busy.add(part.utilisation)
    end = max(p.end for p in parts)
    measured = Measured(
        scenario=sc,
        seed=sc.seed,
        w0=edges[0],
        w1=edges[-1],
        end=end,
        parts=[Part(p.end, p.records) for p in parts],
        pages=sum(p.pages for p in parts),
        utilisation=busy,
        segments=len(parts),
        timers_fired=sum(p.timers_fired for p in parts),
        arrivals=sum(p.arrivals for p in parts),
    )
    report = None
    rows = [p.ledger for p in parts if p.ledger is not None]
    if len(rows) == len(parts):
        version = parts[0].roster
        if version is not None:
            # One roster over the whole run, as a whole run publishes it.
            stop = edges[-1] + timedelta(seconds=sc.drain)
            shifts = (roster or sc.shifts)(t0, stop)
            version = version.model_copy(update={"shifts": tuple(shifts), "window_end": stop})
        report = await merged_compliance(rows, edges[0], edges[-1], end, sc.protocol, version)
    cpu_s = time.process_time() - cpu + (sum(p.cpu_s for p in parts) if workers > 1 else 0.0)
    return Segmented(measured, report, cpu_s, workers, parts)


async def measure(
    sc: Scenario,
    days: float | None = None,
    roster: RosterFn | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> Measured:
    """What a run measures, without a compliance report (the staffing planner's trials): a plain
    `Simulation` when the window is one segment long, else its segments merged."""
    if segments_for(sc.days if days is None else days) == 1:
        sim = await Simulation(sc, days=days, roster=roster, progress=progress).run()
        measured = Measured.of(sim)
        sim.store.clear()  # the planner runs trial after trial (memory.py `clear`)
        return measured
    return (await run_segments(sc, days, roster, workers, progress=progress)).measured


async def simulate(
    sc: Scenario,
    days: float | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`results` for a scenario: a plain `Simulation` when the window is one segment long,
    else its segments merged (with the same report, read from their ledgers' rows)."""
    if segments_for(sc.days if days is None else days) == 1:
        return await results(await Simulation(sc, days=days, progress=progress).run())
    run = await run_segments(sc, days, workers=workers, ledger=True, progress=progress)
    assert run.compliance is not None
    out = figures(run.measured, run.compliance)
    out["segments"] = run.measured.segments
    return out
