"""The durable outbox: a retry outlives the instance that queued it; give-ups are counted."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from router.clock import VirtualClock
from router.metrics import Metrics
from router.outbox import Outbox, PermanentFailure
from router.store import RedisStore


async def test_a_retry_outlives_a_restart(redis_client: aioredis.Redis, clock: VirtualClock) -> None:
    store = RedisStore(redis_client, "t")
    first = Outbox(store, clock, Metrics(), backoff=(60,))

    async def relay_down(body: dict[str, Any]) -> None:
        raise OSError("connection refused")

    first.senders["email"] = relay_down
    await first.put("email", "c_1", {"raw": "Subject: hi\n\nAre you safe?"})
    assert await first.send_due() == 1
    assert first.metrics.outbox_retries.labels("email")._value.get() == 1
    # The instance dies here. Another, started later, sends it when the retry falls due.
    sent: list[dict[str, Any]] = []
    second = Outbox(store, clock, Metrics(), backoff=(60,))

    async def relay_up(body: dict[str, Any]) -> None:
        sent.append(body)

    second.senders["email"] = relay_up
    assert await second.send_due() == 0  # not due yet
    await clock.advance(60)
    assert await second.send_due() == 1
    assert sent == [{"raw": "Subject: hi\n\nAre you safe?"}]
    assert await store.outbox_size() == 0


async def test_giving_up_is_counted_and_told(redis_client: aioredis.Redis, clock: VirtualClock) -> None:
    store = RedisStore(redis_client, "t")
    outbox = Outbox(store, clock, Metrics(), backoff=(0,))
    given_up: list[tuple[str, str]] = []
    outbox.on_give_up.append(lambda kind, ref: given_up.append((kind, ref)))

    async def refused(body: dict[str, Any]) -> None:
        raise OSError("refused")

    async def no_relay(body: dict[str, Any]) -> None:
        raise PermanentFailure("no relay")

    outbox.senders.update({"email": refused, "sms": no_relay})
    await outbox.put("email", "c_1", {})
    await outbox.put("sms", "c_2", {})
    await outbox.drain()
    assert sorted(given_up) == [("email", "c_1"), ("sms", "c_2")]
    assert outbox.metrics.outbox_failures.labels("email")._value.get() == 1
    assert outbox.metrics.outbox_failures.labels("sms")._value.get() == 1
