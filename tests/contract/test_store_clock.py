"""The Redis server's clock, read on the server that holds the hotline's keys (one server, or
the hotline's node in a Cluster): what router/skew.py compares each instance's clock with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.skew import MAX_SKEW_S
from router.store import RedisStore, Store


async def test_server_time_is_the_servers_clock(store: Store) -> None:
    if not isinstance(store, RedisStore):
        pytest.skip("the embedded store runs on this process's own clock")
    found = await store.server_time()
    assert found.tzinfo is not None
    assert abs((found - datetime.now(UTC)).total_seconds()) < MAX_SKEW_S  # redis-server runs here
