"""The store contract, continued: what the ledger needs to keep Redis bounded (both backends)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from protocols import Priority
from router.models import ContactStatus, Event, Offer, OfferStatus
from router.store import Store, Transition
from tests.conftest import START
from tests.contract.test_store_contract import contact, ev, intake


def offer(oid: str, cid: str = "c1") -> Offer:
    return Offer(
        id=oid,
        contact_id=cid,
        responder="r1",
        channel="sms",
        priority=Priority.normal,
        created_at=START,
        expires_at=START + timedelta(seconds=60),
    )


async def close(store: Store, cid: str = "c1") -> None:
    c = await store.get_contact(cid)
    assert c is not None
    closed = c.model_copy(update={"status": ContactStatus.closed, "closed_at": START})
    await store.apply(Transition(contact=closed, expect_rev=c.rev, dequeue=True, events=[ev("closed", cid)]))


async def test_record_appends_events_outside_a_transition(store: Store) -> None:
    await intake(store, contact(), 1)
    ids = await store.record([Event(at=START, event="audit"), Event(at=START, event="debrief")])
    assert len(ids) == 2
    read = await store.read_events()
    assert [e.event for _, e in read] == ["received", "audit", "debrief"]
    assert [sid for sid, _ in read[1:]] == ids
    assert await store.record([]) == []


async def test_stream_info_and_trim(store: Store) -> None:
    empty = await store.stream_info()
    assert (empty.length, empty.first_id, empty.last_id) == (0, None, None)
    for n in range(3):
        await intake(store, contact(f"c{n}", n + 1), n + 1)
    read = await store.read_events()
    info = await store.stream_info()
    assert (info.length, info.first_id, info.last_id) == (3, read[0][0], read[2][0])
    assert await store.trim_events(read[2][0]) == 2
    assert [sid for sid, _ in await store.read_events()] == [read[2][0]]
    assert (await store.stream_info()).first_id == read[2][0]
    assert await store.trim_events(read[2][0]) == 0


async def test_forget_removes_a_closed_contact_and_its_offers(store: Store) -> None:
    await intake(store, contact(), 1)
    c = await store.get_contact("c1")
    assert c is not None
    await store.apply(Transition(contact=c, expect_rev=c.rev, offers=[offer("o1")]))
    c = await store.get_contact("c1")
    assert c is not None
    declined = offer("o1").model_copy(update={"status": OfferStatus.declined})
    await store.apply(Transition(contact=c, expect_rev=c.rev, offers=[declined]))
    await close(store)
    assert await store.forget_contact("c1")
    assert await store.get_contact("c1") is None
    assert await store.get_offer("o1") is None
    assert not await store.forget_contact("c1")
    # Its history stays in the stream until the ledger has it.
    assert [e.event for _, e in await store.read_events()] == ["received", "closed"]


async def test_forget_refuses_an_open_contact_or_one_with_a_pending_offer(store: Store) -> None:
    await intake(store, contact(), 1)
    assert not await store.forget_contact("c1")
    assert not await store.forget_contact("nobody")
    c = await store.get_contact("c1")
    assert c is not None
    # A closed contact whose offer is somehow still pending is not forgotten either.
    done = c.model_copy(update={"status": ContactStatus.closed, "closed_at": START})
    await store.apply(Transition(contact=done, expect_rev=c.rev, dequeue=True, offers=[offer("o2")]))
    assert not await store.forget_contact("c1")
    assert await store.get_contact("c1") is not None


async def test_tail_waits_for_the_next_event(store: Store) -> None:
    await intake(store, contact("a"), 1)
    ((first, _),) = await store.read_events()
    assert await store.tail_events(first, 10, 0.05) == []

    async def later() -> None:
        await asyncio.sleep(0.05)
        await intake(store, contact("b", 2), 2)

    task = asyncio.create_task(later())
    found = await store.tail_events(first, 10, 5.0)
    await task
    assert [e.contact_id for _, e in found] == ["b"]
    assert [e.contact_id for _, e in await store.tail_events("0", 10, 0.05)] == ["a", "b"]


async def test_tail_wanted_decodes_only_the_events_asked_for(store: Store) -> None:
    await store.record([Event(at=START, event="a"), Event(at=START, event="b", contact_id="c")])
    tail = await store.tail_wanted("0", 10, 0.05, lambda name: name == "b")
    assert tail.read == 2 and [e.event for _, e in tail.events] == ["b"]
    assert tail.position == (await store.stream_info()).last_id  # past what it skipped
    empty = await store.tail_wanted(tail.position or "0", 10, 0.05, lambda name: True)
    assert empty.position is None and empty.read == 0 and empty.events == []
