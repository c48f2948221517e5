"""What a day's live state takes in a real redis-server: contacts with their timers, offers and
indexes, and the event stream, measured by `INFO memory` deltas.

    python -m simulations.bench.redis_memory [--contacts 665] [--entries 29000]

Never run by the test suite. The real engine on a fresh redis-server and the virtual clock:
`--contacts` chat contacts taken in with nobody on call, escalated and breached for 25 virtual
minutes, then the stream grown by `--entries` copies of those events. With `ledger_year`'s
peak (contacts held, stream entries) this turns its sizes into Redis memory.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from router.clock import VirtualClock
from router.service import Service
from router.settings import Settings
from simulations.bench._inproc import intake_many
from simulations.bench._procs import protocol_yaml, redis_server
from simulations.bench.burst_cpu import START
from simulations.runner import quiet_router_logs


async def measure(n: int, entries: int) -> list[str]:
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-mem-") as tmp:
        proto = Path(tmp) / "protocol.yaml"
        proto.write_text(protocol_yaml(response_target="20m", offer_timeout="2m", escalate_after="5m"))
        clock = VirtualClock(START)
        svc = await Service.create(Settings(redis_url=rs.url, protocol=str(proto)), clock=clock)
        store = svc.store
        redis = store.redis  # type: ignore[attr-defined]
        try:
            base = (await redis.info("memory"))["used_memory"]
            await intake_many(svc, clock, n, "1")
            for _ in range(25):  # escalations and the breach: timelines and stream as in a day
                await clock.advance(60)
                await svc.runner.fire_due()
            held = (await redis.info("memory"))["used_memory"] - base
            stream = await redis.xlen(store.k.events)  # type: ignore[attr-defined]
            sample = [e for _, e in await store.read_events(count=1000)]
            before = (await redis.info("memory"))["used_memory"]
            for start in range(0, entries, len(sample)):
                await store.record(sample[: min(len(sample), entries - start)])
            grown = (await redis.info("memory"))["used_memory"] - before
            total = (await redis.info("memory"))["used_memory"] - base
        finally:
            await svc.engine.settle()
            await store.close()
    return [
        f"{n:,} contacts and their {stream:,} stream entries: +{held / 1e6:.1f} MB used_memory",
        f"+{entries:,} stream entries like them: +{grown / 1e6:.1f} MB "
        f"({grown / max(entries, 1):.0f} B an entry)",
        f"in all: {total / 1e6:.1f} MB for {n:,} contacts and {stream + entries:,} entries",
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulations.bench.redis_memory", description=__doc__.split("\n")[0]
    )
    p.add_argument("--contacts", type=int, default=665, help="contacts held (ledger_year's peak)")
    p.add_argument("--entries", type=int, default=29_000, help="further stream entries")
    args = p.parse_args(argv)
    with quiet_router_logs():
        for line in asyncio.run(measure(args.contacts, args.entries)):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
