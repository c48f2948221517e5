"""The store contract, continued: the durable outbox (leased like timers, sealed at rest)."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis

from router.store import RedisStore, Store
from tests.conftest import START


async def test_outbox_claims_due_messages_with_a_lease(store: Store) -> None:
    await store.outbox_put("m2", START + timedelta(seconds=5), '{"n": 2}')
    await store.outbox_put("m1", START, '{"n": 1}')
    assert await store.outbox_size() == 2
    assert await store.outbox_claim(START, 30) == [("m1", '{"n": 1}')]
    # Leased: not claimed again until the lease runs out (its sender died), then it is.
    assert await store.outbox_claim(START + timedelta(seconds=10), 30) == [("m2", '{"n": 2}')]
    assert await store.outbox_claim(START + timedelta(seconds=31), 30) == [("m1", '{"n": 1}')]
    await store.outbox_done("m1")
    # Re-queued for a retry (same id): a new due time and payload.
    await store.outbox_put("m2", START + timedelta(minutes=5), '{"n": 2, "attempt": 2}')
    assert await store.outbox_claim(START + timedelta(minutes=1), 30) == []
    assert await store.outbox_claim(START + timedelta(minutes=5), 30) == [("m2", '{"n": 2, "attempt": 2}')]
    await store.outbox_done("m2")
    assert await store.outbox_size() == 0


async def test_outbox_is_sealed_at_rest(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t")
    await store.outbox_put("m1", START, '{"to": "+15550001111", "body": "I need help"}')
    raw = str(await redis_client.hgetall(store.k.outbox_data))
    assert "+15550001111" not in raw and "I need help" not in raw
    assert await store.outbox_claim(START, 30) == [("m1", '{"to": "+15550001111", "body": "I need help"}')]


async def test_a_groups_messages_leave_one_at_a_time_in_order(store: Store) -> None:
    later = START + timedelta(seconds=1)
    await store.outbox_put("a1", START, "first", group="sms:c1")
    await store.outbox_put("a2", START, "second", group="sms:c1")
    await store.outbox_put("a3", later, "third", group="sms:c1")
    await store.outbox_put("b1", START, "other", group="sms:c10")  # a group whose name extends c1's
    assert await store.outbox_size() == 4
    # Only the first of each group is due, on any instance, whatever the lease.
    assert await store.outbox_claim(START, 30) == [("a1", "first"), ("b1", "other")]
    await store.outbox_done("b1")
    assert await store.outbox_claim(START + timedelta(seconds=31), 30) == [("a1", "first")]
    # A retry keeps its place: the next one still waits behind it.
    await store.outbox_put("a1", START + timedelta(minutes=2), "first, attempt 2", group="sms:c1")
    assert await store.outbox_claim(START + timedelta(minutes=1), 30) == []
    assert await store.outbox_claim(START + timedelta(minutes=2), 30) == [("a1", "first, attempt 2")]
    await store.outbox_done("a1")
    assert await store.outbox_claim(START + timedelta(minutes=3), 30) == [("a2", "second")]
    await store.outbox_done("a2")
    assert await store.outbox_claim(START + timedelta(minutes=3), 30) == [("a3", "third")]
    await store.outbox_done("a3")
    assert await store.outbox_size() == 0
    # Nothing left behind: a new message of the group is due at once.
    await store.outbox_put("a4", START, "fourth", group="sms:c1")
    assert await store.outbox_claim(START + timedelta(minutes=4), 30) == [("a4", "fourth")]
