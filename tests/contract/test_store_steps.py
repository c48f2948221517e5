"""The store contract: a dispatch state held since a read is carried forward through the
transitions since (their loads and idle times), by the store's kept steps and by this process's
own replies, and read whole across a gap: it always equals a whole read of the same moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.asyncio.cluster import RedisCluster

from router.models import Contact, ContactStatus, Responder
from router.store import DispatchState, LoadChange, RedisStore, Store, Transition
from tests.conftest import START
from tests.contract.test_store_contract import contact, intake


async def setup(store: Store) -> tuple[DispatchState, Contact]:
    for rid in ("ana", "ben"):
        await store.put_responder(Responder(id=rid, name=rid.title(), capacity={"sms": 3, "chat": 3}), START)
    c = await intake(store, contact("a"), 1)
    return (await store.dispatch_view(None, "none")).state, c


async def step(store: Store, c: Contact, rid: str, delta: int, minute: int = 0) -> Contact:
    """A transition that moves `rid`'s sms load by `delta` (and its idle time with `minute`)."""
    held = c.model_copy(update={"status": ContactStatus.assigned, "responder": rid})
    idle = {rid: START + timedelta(minutes=minute, microseconds=1500)} if minute else {}
    return await store.apply(
        Transition(contact=held, expect_rev=c.rev, loads=[LoadChange(rid, "sms", delta, 3)], idle=idle)
    )


def same(a: DispatchState, b: DispatchState) -> None:
    assert (a.version, a.loads, a.idle, a.presence) == (b.version, b.loads, b.idle, b.presence)
    assert a.responders == b.responders and a.roster_head == b.roster_head


async def hgetalls(store: Store) -> int:
    stats = await store.redis.info("commandstats")  # type: ignore[attr-defined]
    return int(stats.get("cmdstat_hgetall", {}).get("calls", 0))


async def test_a_held_state_is_carried_through_the_transitions_since(store: Store) -> None:
    known, c = await setup(store)
    c = await step(store, c, "ana", 1, minute=2)
    c = await step(store, c, "ana", 1)
    c = await step(store, c, "ben", 2, minute=3)
    c = await step(store, c, "ana", -2)  # down to nothing: gone from the loads, as a whole read has it
    single = isinstance(store, RedisStore) and not isinstance(store.redis, RedisCluster)
    before = await hgetalls(store) if single else 0
    carried = (await store.dispatch_view(known, "none")).state
    if single:
        assert await hgetalls(store) == before, "read whole although every step since was kept"
    if isinstance(store, RedisStore):
        assert carried.responders is known.responders and carried.read_at == known.read_at
    whole = (await store.dispatch_view(None, "none")).state
    same(carried, whole)
    assert carried.loads == {("ben", "sms"): 2}
    assert carried.idle["ben"] == whole.idle["ben"] == START + timedelta(minutes=3, milliseconds=2)


async def test_a_gap_or_a_long_way_behind_is_read_whole(store: Store) -> None:
    known, c = await setup(store)
    c = await step(store, c, "ana", 1, minute=1)
    await store.set_presence("ben", "away", START)  # moves the version with no step
    c = await step(store, c, "ana", 1)
    after_gap = (await store.dispatch_view(known, "none")).state
    same(after_gap, (await store.dispatch_view(None, "none")).state)
    assert after_gap.presence["ben"] == "away"
    for i in range(70):  # further behind than the store catches a reader up
        c = await step(store, c, "ana", 1 if i % 2 else -1)
    behind = (await store.dispatch_view(after_gap, "none")).state
    same(behind, (await store.dispatch_view(None, "none")).state)


async def test_own_writes_carry_the_held_state_and_another_instances_are_a_gap(store: Store) -> None:
    if not isinstance(store, RedisStore):
        pytest.skip("the memory store's reads cost nothing to carry")
    known, c = await setup(store)
    c = await step(store, c, "ana", 1, minute=1)
    c = await step(store, c, "ben", 1, minute=2)
    carried = store.seen.carry(known)
    same(carried, (await store.dispatch_view(None, "none")).state)
    other = RedisStore(store.redis, store.hotline, store.sealer)  # another instance: its own replies
    c = await step(other, c, "ana", 1, minute=4)
    c = await step(store, c, "ben", -1)
    stopped = store.seen.carry(carried)
    assert stopped.version == carried.version, "carried across a write this process never saw"
    same((await store.dispatch_view(stopped, "none")).state, (await store.dispatch_view(None, "none")).state)
