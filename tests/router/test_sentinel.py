"""Behind Redis Sentinel: the master is killed under intake load, a replica takes over, and no
contact is lost and no breach timer missed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.redis_sentinel import SentinelSet, sentinel_set
from tests.router.processes import Start, eventually
from tests.router.test_processes import setup_hotline

pytestmark = pytest.mark.slow


@pytest.fixture
def sentinels() -> Iterator[SentinelSet]:
    with sentinel_set() as group:
        yield group


async def test_failover_under_intake_loses_nothing(sentinels: SentinelSet, start: Start) -> None:
    a = await start(sentinels.url)
    await setup_hotline(a)
    taken: list[str] = []
    refused = 0
    killed = asyncio.Event()

    async def person(n: int) -> None:
        nonlocal refused
        # A person who gets 503 tries again, as a phone provider retries a webhook.
        for _ in range(100):
            try:
                status, body = await a.call("POST", "/v1/contacts", {"channel": "chat", "from": f"p-{n}"})
            except Exception:
                status, body = 0, None
            if status == 201:
                taken.append(body["id"])
                return
            refused += 1
            await asyncio.sleep(0.2)
        raise AssertionError(f"person {n} was never taken in")

    async def load() -> None:
        for wave in range(12):
            await asyncio.gather(*(person(wave * 10 + i) for i in range(10)))
            if wave == 3:
                sentinels.master.stop(kill=True)
                killed.set()

    await load()
    assert killed.is_set() and len(taken) == 120
    assert sentinels.current_master_port() == sentinels.replica.port

    async def all_present_and_breached() -> bool:
        for cid in taken:
            status, c = await a.call("GET", f"/v1/contacts/{cid}")
            assert status == 200, (cid, c)
            if not c["breached"]:
                return False
        return True

    # Nobody accepts: every contact must reach its breach, whichever Redis armed its timer.
    await eventually(all_present_and_breached, 90, "every contact present and breached after the failover")
