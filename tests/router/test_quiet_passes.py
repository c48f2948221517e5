"""A dispatch pass that found nobody free need not read again while the state its instance's own
newest write found is that same state: an escalation nobody could take is one claim and one
write. Anything that frees someone — here or on another instance — makes the next pass read."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

import pytest

from protocols import Protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus, Responder
from router.notify import LogNotifier, Page
from router.store import RedisStore, Store
from tests.conftest import counter_ids
from tests.router.helpers import advance, pending_for, sms, staff

ESCALATES_AT_S = 3 * 60  # the default protocol's first rung (the backup)
LAST_RUNG_AT_S = 14 * 60 + 1  # its last (everyone on call)


def count_reads(engine: Engine) -> Callable[[], int]:
    """How often a dispatch pass reads its state on its own (the store's own methods, called
    through; a read that `apply_and_view` makes with its write is not one)."""
    calls, inside = [0], [False]
    store = engine.store
    read, write = store.dispatch_view, store.apply_and_view

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += not inside[0]
        return await read(*args, **kwargs)

    async def with_write(*args: Any, **kwargs: Any) -> Any:
        inside[0] = True
        try:
            return await write(*args, **kwargs)
        finally:
            inside[0] = False

    store.dispatch_view = counted  # type: ignore[method-assign]
    store.apply_and_view = with_write  # type: ignore[method-assign]
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


class Recorded(LogNotifier):
    """The console notifier, keeping each page whole (which record it went to)."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[Page] = []

    async def page(self, page: Page) -> None:
        self.pages.append(page)
        await super().page(page)


async def test_pages_go_to_the_records_as_they_stand_without_reading_them_each_time(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    pages = Recorded()
    engine = Engine(store, clock, protocol, notifier=pages, id_factory=counter_ids())
    await nobody_free_with_one_waiting(engine)
    reads = [0]
    read = store.get_responder

    async def counted(rid: str) -> Responder | None:
        reads[0] += 1
        return await read(rid)

    store.get_responder = counted  # type: ignore[method-assign,assignment]
    await advance(engine, clock, ESCALATES_AT_S + 1)
    assert [p.responder.id for p in pages.pages] == ["ben"]
    assert reads[0] == 0, "the paged responder's record was read again although dispatch held it current"
    ben = await read("ben")
    assert ben is not None
    await engine.put_responder(ben.model_copy(update={"name": "Ben Backup"}))
    await advance(engine, clock, LAST_RUNG_AT_S - ESCALATES_AT_S)  # everyone on call is paged
    assert [p.responder.name for p in pages.pages if p.responder.id == "ben"][-1] == "Ben Backup"


async def test_a_record_changed_by_another_instance_is_read_before_paging(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    if not isinstance(store, RedisStore):
        pytest.skip("two instances share one Redis")
    pages = Recorded()
    engine = Engine(store, clock, protocol, notifier=pages, id_factory=counter_ids())
    await nobody_free_with_one_waiting(engine)
    ben = await store.get_responder("ben")
    assert ben is not None
    other = RedisStore(store.redis, store.hotline)
    await other.put_responder(ben.model_copy(update={"name": "Ben Backup"}), clock.now())
    await advance(engine, clock, ESCALATES_AT_S + 1)  # the escalation's reply says the records moved
    assert [(p.responder.id, p.responder.name) for p in pages.pages] == [("ben", "Ben Backup")]


async def test_a_close_reads_what_its_pass_needs_in_its_own_write(
    engine: Engine, clock: VirtualClock
) -> None:
    await staff(engine, ["ana"], channels=["sms"], capacity={"sms": 1})
    first = await engine.intake(sms(sender="+15550000001"))
    second = await engine.intake(sms(sender="+15550000002"))
    [offer] = await pending_for(engine, "ana")
    await engine.accept(offer, by="ana")
    assert (await engine.get_contact(second.id)).status == ContactStatus.queued  # ana is full
    reads = count_reads(engine)
    await engine.close(first.id, "support_given", None, "ana")
    assert reads() == 0, "the pass after a close read the state again"
    # Ana wraps up first (the protocol's wrap-up), then the waiting contact is hers.
    await advance(engine, clock, engine.protocol.wrap_up.total_seconds() + 1)
    assert (await engine.get_contact(second.id)).status == ContactStatus.offered


async def test_a_pass_that_stops_early_leaves_nothing_for_the_loop_to_close(engine: Engine) -> None:
    """Three contacts wait and one responder with room for one comes back: the pass offers one
    and stops. The queue it walked is closed by the pass itself, not left to asyncio's
    async-generator finalizer (a task per pass; and in a simulation, whose loop does not run
    while it does, a generator and its queue page held to the end)."""
    await staff(engine, ["ana"], channels=["sms"], capacity={"sms": 1})
    await engine.set_presence("ana", "away")
    for n in range(3):
        await engine.intake(sms(sender=f"+1555000{n:04d}"))
    finalized: list[object] = []
    hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=hooks.firstiter, finalizer=finalized.append)
    try:
        await engine.set_presence("ana", "available")
        gc.collect()
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert len(await pending_for(engine, "ana")) == 1
    assert finalized == [], "a dispatch pass left its queue's generator unclosed"
