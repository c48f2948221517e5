"""An instance whose clock is off from the Redis server's says so: /readyz answers 200 with
`clock_skewed` and the measured skew, the gauge holds it, the log says it; within the bound the
instance is `ready`. The skew is the instance's wall clock against the server's, read across
one round trip; an embedded store or a virtual clock has nothing to compare."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from router.api.app import create_app
from router.clock import SystemClock, VirtualClock
from router.service import Service
from router.settings import Settings
from router.skew import MAX_SKEW_S, clock_skew
from router.store import MemoryStore, RedisStore


class Ahead(SystemClock):
    """The wall clock, off by a fixed amount (a host whose NTP is broken)."""

    def __init__(self, seconds: float) -> None:
        self.by = timedelta(seconds=seconds)

    def now(self) -> datetime:
        return super().now() + self.by


async def test_the_skew_is_this_clock_against_the_redis_servers(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t")
    same = await clock_skew(store, SystemClock())  # redis-server runs on this machine's clock
    ahead, behind = await clock_skew(store, Ahead(30)), await clock_skew(store, Ahead(-30))
    assert same is not None and ahead is not None and behind is not None
    assert abs(same) < MAX_SKEW_S
    assert abs(ahead - 30) < MAX_SKEW_S and abs(behind + 30) < MAX_SKEW_S
    assert await clock_skew(store, VirtualClock()) is None
    assert await clock_skew(MemoryStore("t"), SystemClock()) is None


async def readyz(store: RedisStore, clock: SystemClock, tmp_path: Path) -> tuple[int, Any, str]:
    settings = Settings(
        redis_url="memory://", admin_token="t" * 32, ledger_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}"
    )
    service = await Service.create(settings, clock=clock, store=store)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(service)))
    await client.start_server()
    try:
        resp = await client.get("/readyz")
        body = await resp.json()
        metrics = await (await client.get("/metrics")).text()
        return resp.status, body, metrics
    finally:
        await client.close()


async def test_readyz_the_gauge_and_the_log_say_when_the_clock_is_off(
    redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    status, body, _ = await readyz(RedisStore(redis_client, "t"), SystemClock(), tmp_path)
    assert status == 200 and body["status"] == "ready"
    assert abs(body["clock"]["skew_s"]) < MAX_SKEW_S and body["clock"]["max_s"] == MAX_SKEW_S
    with capture_logs() as logs:
        status, body, metrics = await readyz(RedisStore(redis_client, "t"), Ahead(-45), tmp_path)
    assert status == 200 and body["status"] == "clock_skewed"  # still taking contacts
    assert abs(body["clock"]["skew_s"] + 45) < MAX_SKEW_S
    gauge = next(line for line in metrics.splitlines() if line.startswith("safetynet_clock_skew_seconds "))
    assert abs(float(gauge.split()[1]) + 45) < MAX_SKEW_S
    assert [e for e in logs if e["event"] == "clock_skewed" and e["log_level"] == "error"]
