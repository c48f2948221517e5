"""A real writer process killed with SIGKILL mid-batch, again and again: after each kill the
ledger holds exactly the events up to its cursor (the batch and the cursor commit together),
and a restarted writer finishes with every event once: nothing duplicated, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.ledger import Ledger
from router.ledger.schema import audit, contacts, events
from router.ledger.writer import position, read_cursor
from router.models import Event
from router.notify import LogNotifier
from router.store import RedisStore
from simulations.bench._procs import stop_process
from tests.conftest import START, counter_ids
from tests.redis_server import RedisServer
from tests.router.helpers import advance, sms, staff
from tests.router.processes import eventually

pytestmark = pytest.mark.slow
# Enough events, in small batches, that a kill lands before the end however fast the machine:
# a quiet machine once filed all of 4,000 between two looks.
AUDITS = 12000
CONTACTS = 40


async def filed(ledger: Ledger) -> tuple[int, str | None]:
    async with ledger.engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(events))).scalar() or 0
        n += (await conn.execute(select(func.count()).select_from(audit))).scalar() or 0
        found = await read_cursor(conn)
    return int(n), found[0] if found else None


def writer(url: str, redis_url: str, hotline: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SAFETYNET_REDIS_URL": redis_url,
        "SAFETYNET_HOTLINE": hotline,
        "SAFETYNET_LEDGER_URL": url,
        "SAFETYNET_LOG_LEVEL": "warning",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "router.cli", "ledger", "write", "--batch", "30", "--once"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_kill_9_mid_batch_duplicates_nothing_and_loses_nothing(
    ledger: Ledger, redis_srv: RedisServer, tmp_path: Path
) -> None:
    hotline = f"kill{os.getpid()}{ledger.dialect}"
    client = aioredis.Redis.from_url(redis_srv.url, decode_responses=True)
    store = RedisStore(client, hotline)
    clock = VirtualClock(START)
    engine = Engine(store, clock, default_protocol(), notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"], ["ben"], capacity={"sms": 100})
    ids = []
    for i in range(CONTACTS):
        ids.append((await engine.intake(sms(sender=f"+1555000{i:04d}"))).id)
    await advance(engine, clock, 5)
    for offer in await engine.offers_for(None, None):
        await engine.accept(offer.id, offer.responder)
        await engine.send_message(offer.contact_id, "hello", offer.responder)
        await engine.close(offer.contact_id, "support_given", None, offer.responder)
    for _ in range(0, AUDITS, 500):
        batch = [
            Event(
                at=clock.now(), event="audit", actor="ana", role="responder", action="read", contact_id=ids[0]
            )
            for _ in range(500)
        ]
        await store.record(batch)
    stream = await store.read_events("0", 1_000_000)
    total = len(stream)
    log = tmp_path / "writer.log"
    try:
        kills = 0
        previous = 0
        while kills < 3:
            proc = writer(ledger.url, redis_srv.url, hotline, log)
            target = previous + 300 + 70 * kills  # land the kill at a different point each round

            async def far_enough(target: int = target) -> bool:
                return (await filed(ledger))[0] >= target

            await eventually(far_enough, within=60, what=f"the writer filing {target} events")
            proc.kill()  # SIGKILL: no cleanup, no flush, possibly inside a transaction
            proc.wait(timeout=10)
            kills += 1
            n, cursor = await filed(ledger)
            assert cursor is not None
            upto = sum(1 for sid, _ in stream if position(sid) <= position(cursor))
            assert n == upto, f"after kill {kills}: {n} rows filed, {upto} events up to the cursor"
            assert n < total, "the writer finished before it could be killed: raise AUDITS"
            previous = n
        proc = writer(ledger.url, redis_srv.url, hotline, log)
        assert proc.wait(timeout=120) == 0, log.read_text()[-2000:]
    finally:
        stop_process(proc)
        await client.aclose()
    n, cursor = await filed(ledger)
    assert n == total and cursor == stream[-1][0]
    async with ledger.engine.connect() as conn:
        closed = (
            await conn.execute(
                select(func.count()).select_from(contacts).where(contacts.c.outcome == "closed")
            )
        ).scalar()
    assert closed == CONTACTS
