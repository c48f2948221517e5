"""Benchmark of on-call resolution: a year of shifts for 500 responders; build time, lookups/s, memory.

Run: python -m simulations.bench.oncall [--responders 500] [--days 365] [--per-week 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import random
import time as clock
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from schedules import ROLES, OnCallIndex, Roster, Rotation, Shift

YEAR_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
LENGTHS_H = (4, 6, 8, 10, 12)
ROLE_WEIGHTS = (6, 3, 1)  # primary, backup, supervisor


def make_shifts(responders: int, days: int, per_week: int, granularity_min: int, seed: int) -> list[Shift]:
    """Each responder works `per_week` shifts of 4-12 h a week, starting on a `granularity_min` grid."""
    rng = random.Random(seed)
    slots_per_week = 7 * 24 * 60 // granularity_min
    shifts: list[Shift] = []
    for r in range(responders):
        who = f"responder-{r:04d}"
        for week in range(days // 7 + 1):
            week_start = YEAR_START + timedelta(weeks=week)
            for _ in range(per_week):
                start = week_start + timedelta(minutes=granularity_min * rng.randrange(slots_per_week))
                end = start + timedelta(hours=rng.choice(LENGTHS_H))
                if start >= YEAR_START + timedelta(days=days):
                    continue
                role = rng.choices(ROLES, weights=ROLE_WEIGHTS)[0]
                shifts.append(Shift(responder=who, role=role, start=start, end=end))
    return shifts


def linear(shifts: Sequence[Shift], at: datetime) -> tuple[str, ...]:
    """The obvious scan, as the baseline the index is compared with."""
    return tuple(s.responder for s in shifts if s.role == "primary" and s.start <= at < s.end)


def bench_lookups(index: OnCallIndex, instants: Sequence[datetime]) -> float:
    started = clock.perf_counter()
    for t in instants:
        index.at(t)
    return len(instants) / (clock.perf_counter() - started)


def latency_percentiles(index: OnCallIndex, instants: Sequence[datetime]) -> tuple[float, float, float]:
    """p50, p99 and max of one `index.at` call in microseconds (timer overhead included)."""
    timer = clock.perf_counter_ns
    samples = []
    for t in instants:
        began = timer()
        index.at(t)
        samples.append(timer() - began)
    samples.sort()
    n = len(samples)
    return samples[n // 2] / 1000, samples[min(n - 1, n * 99 // 100)] / 1000, samples[-1] / 1000


def bench_expand(responders: int, days: int) -> tuple[float, int]:
    """Expanding rotations for a year: three layers of 12-hour day/night turns across two DST changes."""
    people = [f"responder-{r:04d}" for r in range(responders)]
    third = max(1, responders // 3)
    roster = Roster(
        timezone="America/New_York",
        rotations=[
            Rotation(
                role=role,
                participants=people[i * third : (i + 1) * third] or people,
                start=date(2026, 1, 1),
                handoff=time(7, 0),
                shift_length=timedelta(hours=12),
            )
            for i, role in enumerate(ROLES)
        ],
    )
    started = clock.perf_counter()
    shifts = roster.expand(YEAR_START, YEAR_START + timedelta(days=days))
    return clock.perf_counter() - started, len(shifts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--responders", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-week", type=int, default=2)
    parser.add_argument("--granularity", type=int, default=30, help="minutes between possible shift starts")
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    tracemalloc.start()
    shifts = make_shifts(args.responders, args.days, args.per_week, args.granularity, args.seed)
    shifts_bytes, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rng = random.Random(args.seed + 1)
    span_us = args.days * 86_400_000_000
    instants = [YEAR_START + timedelta(microseconds=rng.randrange(span_us)) for _ in range(args.lookups)]

    gc.collect()
    started = clock.perf_counter()
    index = OnCallIndex(shifts)
    build_s = clock.perf_counter() - started
    rate = bench_lookups(index, instants)
    p50, p99, worst = latency_percentiles(index, instants[:20_000])
    scan_n = 200
    started = clock.perf_counter()
    for t in instants[:scan_n]:
        linear(shifts, t)
    scan_rate = scan_n / (clock.perf_counter() - started)
    busiest = max(len(index.at(t).everyone) for t in instants[:10_000])

    del index
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    index = OnCallIndex(shifts)
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    expand_s, expanded = bench_expand(args.responders, args.days)

    print(f"shifts                 {len(shifts):,} for {args.responders} responders over {args.days} days")
    print(f"elementary intervals   {index.intervals:,} (most on call at once in a sample: {busiest})")
    print(f"index build            {build_s * 1000:,.0f} ms")
    print(f"lookups                {rate:,.0f} /s  (index.at, {args.lookups:,} random instants)")
    print(f"lookup latency         p50 {p50:.1f} us, p99 {p99:.1f} us, max {worst:.0f} us")
    print(f"linear scan baseline   {scan_rate:,.0f} /s  -> index is {rate / scan_rate:,.0f}x faster")
    print(f"index memory retained  {(after - before) / 2**20:,.1f} MiB (tracemalloc; shifts not counted)")
    print(f"shifts themselves      {shifts_bytes / 2**20:,.1f} MiB (held by the published version anyway)")
    print(f"index memory peak      {(peak - before) / 2**20:,.1f} MiB during build")
    print(f"expand a year          {expanded:,} shifts from 3 day/night layers in {expand_s * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
