"""How long the ledger writer holds the event loop while it files a batch: every timer due
meanwhile fires that much late, so a steady-escalation p99 can be no better than these gaps.

    python -m simulations.bench.ledger_stalls [--events 400] [--rounds 6]

Never run by the test suite. The real engine in this process on a fresh redis-server and a
virtual clock takes in `--events` contacts (nobody on call: one event each), then the service's
own `Writer` files them into its SQLite ledger while a task that asks to wake every millisecond
records how much later than asked it woke (the loop's gap). 400 events is what steady
escalations at 200/s leave behind between two of the writer's one-second polls. Printed per
round: the writer's wall and CPU time, the largest and the 99th-percentile gap.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from router.clock import VirtualClock
from simulations.bench._inproc import engine_on, intake_many
from simulations.bench._procs import machine, protocol_yaml, redis_server
from simulations.runner import quiet_router_logs

TICK_S = 0.001


async def one_round(svc: object, file: object) -> tuple[float, float, list[float]]:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(TICK_S)
            now = time.perf_counter()
            gaps.append(now - last - TICK_S)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    wall, cpu = time.perf_counter(), time.process_time()
    await file()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    await task
    return wall, cpu, sorted(gaps)


async def run(events: int, rounds: int) -> None:
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-stalls-") as tmp:
        proto = Path(tmp) / "protocol.yaml"
        proto.write_text(protocol_yaml("20m", "60s", "10m"))
        clock = VirtualClock(datetime(2026, 11, 26, 12, tzinfo=UTC))
        async with engine_on(rs.url, proto, Path(tmp), clock) as svc:
            for i in range(rounds):
                await intake_many(svc, clock, events, f"{i}")
                wall, cpu, gaps = await one_round(svc, svc.writer.catch_up)
                print(
                    f"filed {events} events: wall {wall * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms; "
                    f"loop gap max {gaps[-1] * 1000:.1f} ms, p99 {gaps[int(len(gaps) * 0.99)] * 1000:.2f} ms"
                )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.ledger_stalls", description=__doc__)
    p.add_argument("--events", type=int, default=400)
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args(argv)
    print(f"ledger stalls: {machine()}")
    with quiet_router_logs():
        asyncio.run(run(args.events, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
