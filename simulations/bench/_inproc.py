"""The real engine in the bench process, on a benchmark's redis-server: contacts taken in ahead of
time on a virtual clock (so their escalations fall due when a benchmark wants), then shut down
cleanly, with no dispatch task left running against a closed store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from router.clock import VirtualClock
from router.models import ContactIn
from router.service import Service
from router.settings import Settings
from simulations.bench._procs import BENCH_SECRET_KEY

INTAKE_WORKERS = 8


@asynccontextmanager
async def engine_on(
    redis_url: str, protocol: Path, workdir: Path, clock: VirtualClock, hotline: str = "default"
) -> AsyncIterator[Service]:
    """A Service (not started: no timer loop, no jobs) whose ledger lives in `workdir`, sealing
    with the key the bench's serves use (they must open what it writes)."""
    settings = Settings(
        redis_url=redis_url,
        protocol=str(protocol),
        hotline=hotline,
        data_dir=str(workdir),
        secret_key=BENCH_SECRET_KEY,
    )
    svc = await Service.create(settings, clock=clock)
    try:
        yield svc
    finally:
        await shutdown(svc)


async def shutdown(svc: Service) -> None:
    """Let the engine's background dispatch (a dispatch call past its budget hands the rest to a
    task) finish before the store closes: closing under it left "Task exception was never
    retrieved" in every timer benchmark run."""
    for _ in range(100):
        later = getattr(svc.engine, "_later", None)
        if later is None or later.done():
            break
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(later), 30)
    await svc.stop()


async def intake_many(
    svc: Service,
    clock: VirtualClock,
    n: int,
    tag: str,
    at: Callable[[int], datetime] | None = None,
) -> list[str]:
    """n chat contacts through the engine's intake, `INTAKE_WORKERS` at a time, in order; with
    `at`, contact i is taken in at virtual time at(i) (non-decreasing in i)."""
    ids: list[str] = [""] * n
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            if at is not None:
                when = at(i)
                if when > clock.now():
                    clock.set(when)
            # intake reads the clock before its first await, so this contact is taken in at `when`
            c = await svc.engine.intake(ContactIn(channel="chat", sender=f"+1666{tag}{i:07d}", body="hi"))
            ids[i] = c.id

    await asyncio.gather(*(worker() for _ in range(INTAKE_WORKERS)))
    return ids


async def intake_rate(redis_url: str, protocol: Path, workdir: Path, sample: int = 200) -> float:
    """Seconds per contact of `intake_many` here and now (a scratch hotline), to plan a lead time."""
    clock = VirtualClock(datetime.now(UTC))
    async with engine_on(redis_url, protocol, workdir, clock, hotline="scratch") as svc:
        began = time.perf_counter()
        await intake_many(svc, clock, sample, "0")
        return (time.perf_counter() - began) / sample
