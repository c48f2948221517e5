"""The contract runs on every backend: memory, one Redis, and a three-master Redis Cluster."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from router.store import MemoryStore, RedisStore, Store
from router.store.connect import connect
from tests.redis_cluster import ClusterServers, redis_cluster
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def cluster_srv() -> Iterator[ClusterServers]:
    with redis_cluster() as servers:
        yield servers


@pytest.fixture(params=["memory", "redis", "cluster"])
async def store(request: pytest.FixtureRequest, redis_srv: RedisServer) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore("t")
        return
    if request.param == "cluster":
        servers: ClusterServers = request.getfixturevalue("cluster_srv")
        # Many hotlines share one cluster; each test is a hotline of its own (its own hash tag).
        s = RedisStore(connect(servers.url), f"t-{uuid.uuid4().hex[:8]}")
        yield s
        await s.close()
        return
    client = connect(redis_srv.url)
    await client.flushdb()
    s = RedisStore(client, "t")
    yield s
    await s.close()
