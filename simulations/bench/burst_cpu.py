"""Python CPU per escalation in a burst, in-process: a figure a busy machine distorts little.

    python -m simulations.bench.burst_cpu [--contacts 640,2000,6000] [--claim-read] [--serve-gc]

Never run by the test suite. For each size: a fresh redis-server, that many chat contacts
taken in with nobody on call (through the real Engine), the virtual clock moved past the
first escalation, then one `TimerRunner.fire_due()` timed by `time.process_time()`.
`--claim-read`: the instance forgets what it wrote first, so each escalation is decided on the
contact its claim read (as in `make bench`, whose contacts another process took in), not
guessed. `--serve-gc`: the collector set as `serve` sets it (router/server.py), so that a
collection of the intake's garbage does not land in the timed call.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from router.clock import VirtualClock
from router.server import GC_THRESHOLDS
from router.store import RedisStore
from simulations.bench._inproc import engine_on, intake_many
from simulations.bench._procs import protocol_yaml, redis_server
from simulations.bench.timers import ESCALATE_AFTER_S
from simulations.runner import quiet_router_logs

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def one(n: int, claim_read: bool = False, serve_gc: bool = False) -> str:
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-burst-") as tmp:
        proto = Path(tmp) / "protocol.yaml"
        text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after=f"{ESCALATE_AFTER_S}s")
        proto.write_text(text)
        clock = VirtualClock(START)
        async with engine_on(rs.url, proto, Path(tmp), clock) as svc:
            await intake_many(svc, clock, n, "1")
            await clock.advance(ESCALATE_AFTER_S + 1)
            if claim_read and isinstance(svc.engine.store, RedisStore):
                svc.engine.store.known = type(svc.engine.store.known)()
            if serve_gc:
                gc.collect()
                gc.freeze()
                gc.set_threshold(*GC_THRESHOLDS)
            wall, cpu = time.perf_counter(), time.process_time()
            fired = await svc.runner.fire_due()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return f"{n:>6,} due: {fired:,} fired, {cpu / n * 1e6:,.0f} µs CPU each, {wall:.2f} s wall"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulations.bench.burst_cpu", description=__doc__.split("\n")[0]
    )
    p.add_argument("--contacts", default="640,2000,6000", help="burst sizes, comma-separated")
    p.add_argument("--claim-read", action="store_true", help="decide on the claim's read, not a guess")
    p.add_argument("--serve-gc", action="store_true", help="the collector's thresholds as in serve")
    args = p.parse_args(argv)
    thresholds = gc.get_threshold()
    try:
        with quiet_router_logs():
            for n in (int(x) for x in args.contacts.split(",")):
                print(asyncio.run(one(n, args.claim_read, args.serve_gc)), flush=True)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
