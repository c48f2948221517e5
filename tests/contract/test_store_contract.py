"""The store contract: every backend (memory, Redis) passes these same tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from protocols import Priority
from router.keys import Keys
from router.models import (
    Activation,
    Contact,
    ContactStatus,
    Event,
    FeedRecord,
    Message,
    Offer,
    OfferStatus,
    Responder,
    TokenRecord,
)
from router.store import Conflict, LoadChange, RedisStore, Store, Transition
from router.store.sealing import Sealer
from router.timer_models import Timer, TimerKind
from schedules import RosterVersion, Shift
from tests.conftest import START


def contact(cid: str = "c1", seq: int = 1, priority: Priority = Priority.normal, **kw: object) -> Contact:
    data: dict[str, object] = dict(
        id=cid,
        channel="sms",
        status=ContactStatus.queued,
        priority=priority,
        seq=seq,
        received_at=START,
        deadline=START + timedelta(minutes=20),
        target_s=1200.0,
        protocol_version="p-x",
        sender="+15550001111",
        sender_key=f"k-{cid}",
    )
    data.update(kw)
    return Contact.model_validate(data)


def ev(name: str, cid: str = "c1") -> Event:
    return Event(at=START, event=name, contact_id=cid)


async def intake(store: Store, c: Contact, score: float, timers: list[Timer] | None = None) -> Contact:
    return await store.apply(
        Transition(
            contact=c, expect_rev=None, enqueue_score=score, arm=timers or [], events=[ev("received", c.id)]
        )
    )


async def test_intake_writes_contact_queue_open_and_event(store: Store) -> None:
    written = await intake(store, contact(), 10)
    assert written.rev == 1
    got = await store.get_contact("c1")
    assert got is not None and got.rev == 1 and got.status == ContactStatus.queued
    assert await store.ready_queue() == ["c1"]
    assert await store.open_contacts() == ["c1"]
    assert await store.find_open("k-c1") == "c1"
    events = await store.read_events()
    assert [e.event for _, e in events] == ["received"]


async def test_second_intake_of_same_id_conflicts_and_changes_nothing(store: Store) -> None:
    await intake(store, contact(), 10)
    with pytest.raises(Conflict):
        await intake(store, contact(priority=Priority.critical), 1)
    got = await store.get_contact("c1")
    assert got is not None and got.priority == Priority.normal
    assert len(await store.read_events()) == 1


async def test_stale_revision_conflicts_and_changes_nothing(store: Store) -> None:
    await intake(store, contact(), 10)
    c = contact(status=ContactStatus.closed)
    with pytest.raises(Conflict) as info:
        await store.apply(Transition(contact=c, expect_rev=7, dequeue=True, events=[ev("closed")]))
    assert info.value.reason == "stale"
    got = await store.get_contact("c1")
    assert got is not None and got.status == ContactStatus.queued
    assert await store.ready_queue() == ["c1"]


async def test_queue_orders_by_score_then_id(store: Store) -> None:
    await intake(store, contact("a", 1), 2 * 2**40 + 1)
    await intake(store, contact("b", 2), 0 * 2**40 + 2)
    await intake(store, contact("c", 3), 2 * 2**40 + 3)
    assert await store.ready_queue() == ["b", "a", "c"]
    assert await store.ready_queue(limit=2) == ["b", "a"]
    assert await store.queue_depth() == 3


async def test_capacity_guard(store: Store) -> None:
    await store.put_responder(Responder(id="r1", name="R"), START)
    await intake(store, contact("a"), 1)
    await intake(store, contact("b", 2), 2)
    take = LoadChange("r1", "sms", 1, capacity=1)
    a = await store.get_contact("a")
    assert a is not None
    await store.apply(
        Transition(
            contact=a.model_copy(update={"status": ContactStatus.offered}),
            expect_rev=a.rev,
            dequeue=True,
            loads=[take],
            require_available=["r1"],
        )
    )
    assert await store.loads() == {("r1", "sms"): 1}
    b = await store.get_contact("b")
    assert b is not None
    with pytest.raises(Conflict) as info:
        await store.apply(
            Transition(
                contact=b.model_copy(update={"status": ContactStatus.offered}),
                expect_rev=b.rev,
                dequeue=True,
                loads=[take],
            )
        )
    assert info.value.reason == "capacity"
    assert await store.ready_queue() == ["b"]
    # giving back what was held brings the load to zero and it disappears
    a = await store.get_contact("a")
    assert a is not None
    await store.apply(Transition(contact=a, expect_rev=a.rev, loads=[LoadChange("r1", "sms", -1)]))
    assert await store.loads() == {}


async def test_presence_guard(store: Store) -> None:
    await store.put_responder(Responder(id="r1", name="R"), START)
    await store.set_presence("r1", "away", START)
    await intake(store, contact(), 1)
    c = await store.get_contact("c1")
    assert c is not None
    with pytest.raises(Conflict) as info:
        await store.apply(Transition(contact=c, expect_rev=c.rev, require_available=["r1"]))
    assert info.value.reason == "unavailable"


async def test_responders_presence_and_idle(store: Store) -> None:
    assert await store.put_responder(Responder(id="r1", name="R"), START) is True
    assert await store.put_responder(Responder(id="r1", name="R2"), START + timedelta(hours=1)) is False
    got = await store.get_responder("r1")
    assert got is not None and got.name == "R2"
    assert (await store.presence())["r1"] == "available"
    assert (await store.idle_since())["r1"] == START
    await store.set_presence("r1", "away", START + timedelta(minutes=5))
    await store.set_presence("r1", "available", START + timedelta(minutes=9))
    assert (await store.idle_since())["r1"] == START + timedelta(minutes=9)
    assert [r.id for r in await store.list_responders()] == ["r1"]


async def test_closing_removes_from_open_and_sender_index(store: Store) -> None:
    await intake(store, contact(), 1)
    c = await store.get_contact("c1")
    assert c is not None
    await store.apply(
        Transition(
            contact=c.model_copy(update={"status": ContactStatus.closed}), expect_rev=c.rev, dequeue=True
        )
    )
    assert await store.open_contacts() == []
    assert await store.find_open("k-c1") is None
    assert await store.ready_queue() == []


async def test_offers_pending_and_resolved(store: Store) -> None:
    await intake(store, contact(), 1)
    c = await store.get_contact("c1")
    assert c is not None
    offer = Offer(
        id="o1",
        contact_id="c1",
        responder="r1",
        channel="sms",
        priority=Priority.normal,
        created_at=START,
        expires_at=START + timedelta(seconds=60),
    )
    await store.apply(Transition(contact=c, expect_rev=c.rev, offers=[offer]))
    assert [o.id for o in await store.pending_offers()] == ["o1"]
    c = await store.get_contact("c1")
    assert c is not None
    await store.apply(
        Transition(
            contact=c, expect_rev=c.rev, offers=[offer.model_copy(update={"status": OfferStatus.declined})]
        )
    )
    assert await store.pending_offers() == []
    got = await store.get_offer("o1")
    assert got is not None and got.status == "declined"


def timer(tid: str, due_s: float) -> Timer:
    return Timer(id=tid, kind=TimerKind.breach, due=START + timedelta(seconds=due_s), contact_id="c1")


async def test_timers_claim_lease_and_complete(store: Store) -> None:
    await intake(store, contact(), 1, [timer("t2", 20), timer("t1", 10), timer("t3", 30)])
    assert await store.next_due() == START + timedelta(seconds=10)
    assert await store.claim_due(START + timedelta(seconds=5), 30) == []
    claimed = await store.claim_due(START + timedelta(seconds=20), 30)
    assert [t.id for t in claimed] == ["t1", "t2"]
    # claimed timers are leased, not popped: nobody else gets them until the lease ends
    assert await store.claim_due(START + timedelta(seconds=25), 30) == []
    await store.complete("t1")
    # t2's holder "died": after the lease it is due again and another instance claims it
    again = await store.claim_due(START + timedelta(seconds=51), 30)
    assert [t.id for t in again] == ["t3", "t2"]
    assert sorted(t.id for t in await store.timers()) == ["t2", "t3"]


async def test_several_timers_completed_at_once_and_with_a_record(store: Store) -> None:
    await intake(store, contact(), 1, [timer("t1", 10), timer("t2", 20), timer("t3", 30), timer("t4", 40)])
    await store.complete("t1", "t3", "gone")
    await store.complete()
    assert [t.id for t in await store.timers()] == ["t2", "t4"]
    # owed pages are cleared in the very write that records them
    before = len(await store.read_events())
    ids = await store.record([Event(at=START, event="paged", contact_id="c1")], done=["t4"])
    assert len(ids) == 1 and [t.id for t in await store.timers()] == ["t2"]
    assert [e.event for _, e in (await store.read_events())[before:]] == ["paged"]
    # with nothing to record, the timers still go
    assert await store.record([], done=["t2"]) == []
    assert await store.timers() == []


async def test_transition_disarms_timers(store: Store) -> None:
    await intake(store, contact(), 1, [timer("t1", 10), timer("t2", 20)])
    c = await store.get_contact("c1")
    assert c is not None
    await store.apply(Transition(contact=c, expect_rev=c.rev, disarm=["t1", "nope"]))
    assert [t.id for t in await store.timers()] == ["t2"]


async def test_arm_outside_transition_is_idempotent(store: Store) -> None:
    t = Timer(id="shift:x", kind=TimerKind.shift_change, due=START)
    await store.arm([t])
    await store.arm([t])
    assert [x.id for x in await store.timers()] == ["shift:x"]


async def test_events_are_read_in_order_after_a_position(store: Store) -> None:
    await intake(store, contact("a"), 1)
    await intake(store, contact("b", 2), 2)
    await intake(store, contact("c", 3), 3)
    first = await store.read_events(count=2)
    assert [e.contact_id for _, e in first] == ["a", "b"]
    rest = await store.read_events(first[-1][0])
    assert [e.contact_id for _, e in rest] == ["c"]


def roster_version(n: int, responder: str = "r1") -> RosterVersion:
    """Published version `n` of roster `main`: `responder` primary for the first eight hours."""
    shift = Shift(responder=responder, role="primary", start=START, end=START + timedelta(hours=8))
    return RosterVersion(
        name="main",
        version=n,
        timezone="UTC",
        shifts=(shift,),
        window_start=START,
        window_end=START + timedelta(days=1),
        published_at=START,
        published_by="test",
    )


async def test_roster_versions_are_numbered_without_gaps(store: Store) -> None:
    version = roster_version

    assert await store.head_version() == 0
    assert await store.latest_version() is None
    await store.publish(version(1))
    with pytest.raises(Conflict):
        await store.publish(version(1))
    with pytest.raises(Conflict):
        await store.publish(version(3))
    await store.publish(version(2))
    latest = await store.latest_version()
    assert latest is not None and latest.version == 2 and latest.shifts == version(1).shifts


async def test_tokens_seq_and_leader(store: Store) -> None:
    await store.put_token("h1", TokenRecord(role="responder", responder="r1"))
    got = await store.get_token("h1")
    assert got is not None and got.responder == "r1"
    assert await store.get_token("h2") is None
    assert [await store.next_seq() for _ in range(3)] == [1, 2, 3]
    assert await store.acquire_leader("a", 30) is True
    assert await store.acquire_leader("a", 30) is True
    assert await store.acquire_leader("b", 30) is False
    assert await store.ping() is True


async def test_the_jobs_and_the_ledger_writer_hold_locks_of_their_own(store: Store) -> None:
    # A writer process beside the instances must never take the jobs' turn, nor they its.
    assert await store.acquire_leader("jobs-instance", 30) is True
    assert await store.acquire_leader("writer-process", 30, "ledger") is True
    assert await store.acquire_leader("jobs-instance", 30, "ledger") is False
    assert await store.acquire_leader("writer-process", 30, "jobs") is False
    assert await store.acquire_leader("jobs-instance", 30, "jobs") is True
    assert await store.acquire_leader("writer-process", 30, "ledger") is True


async def test_a_lock_is_let_go_only_by_its_owner(store: Store) -> None:
    assert await store.acquire_leader("writer-a", 30, "ledger") is True
    assert await store.release_leader("writer-b", "ledger") is False
    assert await store.release_leader("writer-a", "jobs") is False  # the other lock: not held
    assert await store.acquire_leader("writer-b", 30, "ledger") is False
    assert await store.release_leader("writer-a", "ledger") is True
    # Free at once, not after its 30 s: the next writer takes it on its first look.
    assert await store.acquire_leader("writer-b", 30, "ledger") is True
    assert await store.release_leader("writer-a", "ledger") is False


async def test_mark_once(store: Store) -> None:
    assert await store.mark_once("reminder:x", 60) is True
    assert await store.mark_once("reminder:x", 60) is False
    assert await store.mark_once("reminder:y", 60) is True


async def test_feeds_are_revocable(store: Store) -> None:
    await store.put_feed("h", FeedRecord(roster="main", responder="ana"))
    got = await store.get_feed("h")
    assert got is not None and got.responder == "ana"
    assert await store.delete_feed("h") is True
    assert await store.delete_feed("h") is False
    assert await store.get_feed("h") is None


async def test_protocol_activation_keeps_history(store: Store) -> None:
    assert await store.active_protocol() is None
    first = Activation(version="p-1", name="a", activated_at=START, activated_by="admin")
    second = Activation(version="p-2", name="b", activated_at=START, activated_by="admin")
    await store.activate_protocol("name: a", first)
    await store.activate_protocol("name: b", second)
    assert await store.active_protocol() == ("p-2", "name: b")
    assert await store.protocol_text("p-1") == "name: a"
    assert [a.version for a in await store.protocol_history()] == ["p-1", "p-2"]


async def test_redis_keeps_no_personal_data_in_the_clear(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t", Sealer(["new-key", "old-key"]))
    c = contact(sender="+15558675309").model_copy(
        update={"messages": [Message(at=START, direction="in", body="he hits me at 12 Elm Street")]}
    )
    await intake(store, c, 1)
    raw = await redis_client.hget(Keys("t").contacts, "c1")
    assert raw and "5558675309" not in raw and "Elm Street" not in raw
    got = await store.get_contact("c1")
    assert got is not None and got.sender == "+15558675309" and got.messages[0].body.endswith("Street")
    # rotated: a record sealed with the old key still opens while the old key is listed
    old = RedisStore(redis_client, "t", Sealer(["old-key"]))
    await old.put_responder(Responder(id="r", name="r"), START)
    await intake(old, contact("c2", 2), 2)
    assert (await store.get_contact("c2")) is not None
    with pytest.raises(ValueError, match="SAFETYNET_SECRET_KEY"):
        await RedisStore(redis_client, "t", Sealer(["other"])).get_contact("c1")
