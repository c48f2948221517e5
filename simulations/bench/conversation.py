"""What a message costs as a conversation grows: CPU and round trips per message the person sends
to one open contact, by how many it already holds, and what reading the contact costs an
instance that holds none of it.

    python -m simulations.bench.conversation [--messages 10,100,500,980] [--body 80] [--each 20]

Never run by the test suite. The real engine in this process on a fresh redis-server and a
virtual clock: one chat contact taken in (nobody on call: it waits, open), filled to each size
with messages of `--body` characters, then `--each` more sent through `Engine.receive_message`
one at a time and measured (this process's CPU; requests written to Redis). The cold read is
`get_contact` on a second Service over the same Redis, once. Before the record's tail
(router/store/tails.py) every message rewrote the whole conversation; it should now cost about
the same at any size but for carrying the record back on each read.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router.clock import VirtualClock
from router.models import ContactIn
from simulations.bench._inproc import engine_on
from simulations.bench._procs import machine, protocol_yaml, redis_server
from simulations.bench.roundtrips import _trips, counting
from simulations.runner import quiet_router_logs

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def measure(sizes: list[int], body: int, each: int) -> list[str]:
    text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after=None)
    lines = []
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-conv-") as tmp, counting():
        proto = Path(tmp) / "protocol.yaml"
        proto.write_text(text)
        clock = VirtualClock(START)
        for size in sizes:
            async with engine_on(rs.url, proto, Path(tmp), clock, hotline=f"c{size}") as svc:
                engine = svc.engine
                said = "x" * body
                c = await engine.intake(ContactIn(channel="chat", sender=f"+1666{size:07d}", body=said))
                for _ in range(size - 1):
                    await engine.receive_message(c.id, said)
                cpu, sent = time.process_time(), _trips[0]
                for _ in range(each):
                    await engine.receive_message(c.id, said)
                cpu, trips = (time.process_time() - cpu) / each, (_trips[0] - sent) / each
                async with engine_on(rs.url, proto, Path(tmp), clock, hotline=f"c{size}") as other:
                    cold = time.process_time()
                    read = await other.engine.store.get_contact(c.id)
                    cold = time.process_time() - cold
                assert read is not None
                assert len(read.messages) == size + each
                store: Any = svc.engine.store
                raw = await store.redis.hget(store.k.contacts, c.id)
            lines.append(
                f"{size:>6,} held, {body:>4} chars: {cpu * 1e3:6.2f} ms CPU a message, "
                f"{trips:.2f} round trips; cold read {cold * 1e3:6.2f} ms; record {len(raw) / 1e3:8.1f} KB"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", default="10,100,500,980", help="messages held before measuring")
    parser.add_argument("--body", type=int, default=80, help="characters a message")
    parser.add_argument("--each", type=int, default=20, help="messages measured at each size")
    args = parser.parse_args()
    print(machine())
    with quiet_router_logs():
        lines = asyncio.run(measure([int(n) for n in args.messages.split(",")], args.body, args.each))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
