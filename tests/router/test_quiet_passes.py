"""A dispatch pass that found nobody free need not read again while the state its instance's own
newest write found is that same state: an escalation nobody could take is one claim and one
write. Anything that frees someone — here or on another instance — makes the next pass read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus
from router.store import RedisStore
from tests.router.helpers import advance, sms, staff

ESCALATES_AT_S = 3 * 60  # the default protocol's first rung


def count_reads(engine: Engine) -> Callable[[], int]:
    """How often dispatch reads its state (the store's own method, called through)."""
    calls = [0]
    read = engine.store.dispatch_view

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return await read(*args, **kwargs)

    engine.store.dispatch_view = counted  # type: ignore[method-assign]
    return lambda: calls[0]


async def nobody_free_with_one_waiting(engine: Engine) -> str:
    await staff(engine, ["ana"], ["ben"])
    for rid in ("ana", "ben"):
        await engine.set_presence(rid, "away")
    c = await engine.intake(sms())
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    return c.id


async def test_an_escalation_nobody_can_take_reads_nothing_more(engine: Engine, clock: VirtualClock) -> None:
    cid = await nobody_free_with_one_waiting(engine)
    reads = count_reads(engine)
    await advance(engine, clock, ESCALATES_AT_S + 1)
    contact = await engine.get_contact(cid)
    assert contact.escalation_level == 1 and contact.status == ContactStatus.queued
    assert reads() == 0, "the pass after the escalation read a state its own write had just seen"


async def test_presence_set_here_makes_the_next_pass_read_and_offer(
    engine: Engine, clock: VirtualClock
) -> None:
    cid = await nobody_free_with_one_waiting(engine)
    await advance(engine, clock, ESCALATES_AT_S + 1)  # a quiet pass: nobody free, no read
    await engine.set_presence("ben", "available")
    contact = await engine.get_contact(cid)
    assert contact.status == ContactStatus.offered, (
        "a responder who came back was not offered the waiting contact"
    )


async def test_someone_freed_by_another_instance_is_seen_through_this_ones_next_write(
    engine: Engine, clock: VirtualClock
) -> None:
    if not isinstance(engine.store, RedisStore):
        pytest.skip("two instances share one Redis")
    cid = await nobody_free_with_one_waiting(engine)
    other = RedisStore(engine.store.redis, engine.store.hotline)
    # Another instance's write, with no pass of its own: only this instance can notice it.
    await other.set_presence("ben", "available", clock.now())
    await advance(engine, clock, ESCALATES_AT_S + 1)  # the escalation's reply carries the new state
    contact = await engine.get_contact(cid)
    assert contact.status == ContactStatus.offered
    assert contact.escalation_level == 1
