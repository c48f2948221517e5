"""Round trips, Redis commands and Python CPU per operation, in-process, one operation at a time.

    python -m simulations.bench.roundtrips [--ops 200]

Never run by the test suite. The real engine in this process on a fresh redis-server and a
virtual clock, each operation driven alone (one at a time, the unbatched worst case):
  - intake: a chat contact taken in and offered at once (one responder on call, room for all);
  - accept: that offer accepted; close: the contact closed;
  - escalation, one at a time: contacts taken in with nobody on call, then the clock moved to
    each one's escalation in turn and `TimerRunner.fire_due()` called;
  - escalation paging the backup: a primary and a backup on call, both away; one at a time.
  - offer timing out: one responder on call, with room for every contact (at most 100), who never answers;
    each contact's offer expires in turn (`fire_due()` at each), and the pass after it does what
    it does (offers it to nobody else: there is nobody).
  - escalation, burst: as many due at once and one `fire_due()` (batched); and again with the
    primary and backup on call and away, each escalation paging the backup.
Counted per phase: round trips = requests this process's Redis connections wrote (a single
command, a pipeline or a MULTI/EXEC block: one each; `_counted.count_sends` counts them where
every one passes, router/store/wire.py's SENDERS), Redis commands from `INFO commandstats`
(commands run inside scripts included), and this process's CPU (`time.process_time()`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router.clock import VirtualClock
from router.models import ContactIn, Responder
from router.service import Service
from schedules.model import Roster
from schedules.shift import Shift
from simulations.bench._counted import count_sends
from simulations.bench._inproc import engine_on, intake_many
from simulations.bench._measure import Usage, cost_line, proc_cpu_s, redis_counts

__all__ = ["cost_line", "measure"]
from simulations.bench._procs import machine, protocol_yaml, redis_server
from simulations.runner import quiet_router_logs

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ESCALATE_AFTER_S = 600
OFFER_TIMEOUT_S = 300
MAX_CAPACITY = 100  # a responder's room on one channel (router/models.py)
_trips = [0]


@contextmanager
def counting() -> Iterator[None]:
    """Count every request this process writes to Redis (restored on exit)."""
    restore = count_sends(_trips)
    try:
        yield
    finally:
        restore()


REDIS_PID = [0]


async def phase(url: str, ops: int, body: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    before, trips, cpu = redis_counts(url), _trips[0], time.process_time()
    redis_cpu = proc_cpu_s(REDIS_PID[0])
    await body()
    cpu, trips = time.process_time() - cpu, _trips[0] - trips
    redis_cpu = proc_cpu_s(REDIS_PID[0]) - redis_cpu
    after = redis_counts(url)
    commands = {k: v - before.get(k, 0) for k, v in after.items() if k not in ("_total", "info")}
    total = sum(v for v in commands.values() if v > 0)
    # redis_counts uses the synchronous client: its INFO calls are not in `trips`
    usage = Usage(cpu, {k: v for k, v in commands.items() if v > 0}, total, trips, redis_cpu_s=redis_cpu)
    return usage.per_op(ops)


async def on_call(svc: Service, count: int, capacity: int = 100) -> None:
    """`count` responders on call for two days, room for `capacity` chats each."""
    engine = svc.engine
    end = START + timedelta(days=2)
    shifts = []
    for i in range(count):
        rid = f"r{i}"
        await engine.put_responder(
            Responder(id=rid, name=rid, channels=["chat"], capacity={"chat": capacity})
        )
        shifts.append(Shift(responder=rid, role="primary", start=START, end=end))
    roster = Roster(timezone="UTC", shifts=shifts)
    await engine.rosters.put_draft("bench", roster, START, end)
    await engine.rosters.publish("bench", START, end, force=True, by="bench")


async def away_on_call(svc: Service) -> None:
    """A primary and a backup on call, both away: escalations page the backup, nobody takes one."""
    engine = svc.engine
    end = START + timedelta(days=2)
    shifts = []
    for rid, role in (("p", "primary"), ("b", "backup")):
        await engine.put_responder(Responder(id=rid, name=rid, channels=["chat"], capacity={"chat": 100}))
        await engine.set_presence(rid, "away")
        shifts.append(Shift(responder=rid, role=role, start=START, end=end))
    await engine.rosters.put_draft("bench", Roster(timezone="UTC", shifts=shifts), START, end)
    await engine.rosters.publish("bench", START, end, force=True, by="bench")


async def measure(ops: int) -> dict[str, dict[str, Any]]:
    text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after=f"{ESCALATE_AFTER_S}s")
    out: dict[str, dict[str, Any]] = {}
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-rt-") as tmp, counting():
        proto = Path(tmp) / "protocol.yaml"
        proto.write_text(text)
        REDIS_PID[0] = rs.pid
        clock = VirtualClock(START)
        async with engine_on(rs.url, proto, Path(tmp), clock) as svc:
            engine = svc.engine
            await on_call(svc, ops // 100 + 1)
            ids: list[str] = []

            async def intake() -> None:
                for i in range(ops):
                    c = await engine.intake(ContactIn(channel="chat", sender=f"+1777{i:07d}", body="hi"))
                    ids.append(c.id)

            out["intake (and its offer)"] = await phase(rs.url, ops, intake)
            offers = {o.contact_id: o for o in await engine.offers_for(None, "pending")}

            async def accept() -> None:
                for o in offers.values():
                    await engine.accept(o.id, by=o.responder)

            out["accept"] = await phase(rs.url, len(offers), accept)

            async def close() -> None:
                for o in offers.values():
                    await engine.close(o.contact_id, "resolved", None, by=o.responder)

            out["close"] = await phase(rs.url, len(offers), close)
        out.update(await escalations(rs.url, proto, Path(tmp), ops))
    return out


async def one_by_one(svc: Service, clock: VirtualClock, ops: int, tag: str) -> Callable[[], Awaitable[None]]:
    """`ops` contacts taken in a second apart; what fires their escalations one at a time."""
    step = timedelta(seconds=1)
    await intake_many(svc, clock, ops, tag, at=lambda i: START + i * step)

    async def fire() -> None:
        for i in range(ops):
            clock.set(START + timedelta(seconds=ESCALATE_AFTER_S) + i * step)
            await svc.runner.fire_due()

    return fire


async def escalations(url: str, proto: Path, workdir: Path, ops: int) -> dict[str, dict[str, Any]]:
    """Nobody on call (a hotline of its own): one at a time, then a burst."""
    out = {}
    step = timedelta(seconds=1)
    # Offers time out before the contact's first escalation: each fires alone.
    expiring = workdir / "expiring.yaml"
    expiring.write_text(
        protocol_yaml(
            response_target="1h", offer_timeout=f"{OFFER_TIMEOUT_S}s", escalate_after=f"{ESCALATE_AFTER_S}s"
        )
    )
    clock = VirtualClock(START)
    async with engine_on(url, proto, workdir, clock, hotline="esc") as svc:
        out["escalation, one at a time"] = await phase(url, ops, await one_by_one(svc, clock, ops, "3"))
    clock = VirtualClock(START)
    async with engine_on(url, proto, workdir, clock, hotline="page") as svc:
        await away_on_call(svc)
        paging = await one_by_one(svc, clock, ops, "5")
        out["escalation paging the backup, one at a time"] = await phase(url, ops, paging)
    clock = VirtualClock(START)
    async with engine_on(url, expiring, workdir, clock, hotline="expire") as svc:
        n = min(ops, MAX_CAPACITY)
        await on_call(svc, 1, capacity=n)
        await intake_many(svc, clock, n, "6", at=lambda i: START + i * step)

        async def expire() -> None:
            for i in range(n):
                clock.set(START + timedelta(seconds=OFFER_TIMEOUT_S) + i * step)
                await svc.runner.fire_due()

        out["offer timing out, one at a time"] = await phase(url, n, expire)
    clock = VirtualClock(START)
    async with engine_on(url, proto, workdir, clock, hotline="burst") as svc:
        await intake_many(svc, clock, ops, "4")

        async def burst() -> None:
            clock.set(START + timedelta(seconds=ESCALATE_AFTER_S + 1))
            await svc.runner.fire_due()

        out[f"escalation, {ops} due at once"] = await phase(url, ops, burst)
    clock = VirtualClock(START)
    async with engine_on(url, proto, workdir, clock, hotline="pageburst") as svc:
        await away_on_call(svc)
        await intake_many(svc, clock, ops, "7")

        async def paging_burst() -> None:
            clock.set(START + timedelta(seconds=ESCALATE_AFTER_S + 1))
            await svc.runner.fire_due()

        out[f"escalation paging the backup, {ops} due at once"] = await phase(url, ops, paging_burst)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulations.bench.roundtrips", description=__doc__.split("\n")[0]
    )
    p.add_argument("--ops", type=int, default=200, help="operations of each kind")
    args = p.parse_args(argv)
    print(f"roundtrips: {machine()}")
    with quiet_router_logs():
        for name, cost in asyncio.run(measure(args.ops)).items():
            print(cost_line(name, cost))
    return 0


if __name__ == "__main__":
    sys.exit(main())
