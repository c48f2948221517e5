"""Session-wide fixtures: a real redis-server, stores of both kinds, a virtual clock, an engine."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from protocols import Protocol, default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.notify import LogNotifier
from router.store import MemoryStore, RedisStore, Store
from router.store.connect import connect
from tests.redis_server import RedisServer, redis_server

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def redis_srv() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
async def redis_client(redis_srv: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = connect(redis_srv.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, redis_srv: RedisServer) -> AsyncIterator[Store]:
    """Each contract test runs against both backends."""
    if request.param == "memory":
        yield MemoryStore("t")
        return
    client = connect(redis_srv.url)
    await client.flushdb()
    s = RedisStore(client, "t")
    yield s
    await s.close()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


def counter_ids() -> Callable[[str], str]:
    counts: dict[str, itertools.count[int]] = {}

    def make(prefix: str) -> str:
        n = next(counts.setdefault(prefix, itertools.count(1)))
        return f"{prefix}_{n:04d}"

    return make


@pytest.fixture
def protocol() -> Protocol:
    return default_protocol()


@pytest.fixture
def engine(store: Store, clock: VirtualClock, protocol: Protocol) -> Engine:
    return Engine(store, clock, protocol, notifier=LogNotifier(), id_factory=counter_ids())
