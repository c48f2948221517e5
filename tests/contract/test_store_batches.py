"""The store contract, continued: several transitions in one round trip, each atomic on its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from router import transitions as tr
from router.models import Contact, ContactStatus, Responder
from router.store import Conflict, LoadChange, MemoryStore, RedisStore, Store, Transition
from router.store.memory_setup import MARKS_SWEEP_AT
from router.store.wire import SENDERS
from router.timer_models import Timer, TimerKind
from tests.conftest import START
from tests.contract.test_store_contract import contact, ev, intake


async def test_apply_many_applies_each_on_its_own(store: Store) -> None:
    a = await intake(store, contact("a"), 1)
    b = await intake(store, contact("b", 2), 2)
    raised = a.model_copy(update={"escalation_level": 1})
    stale = b.model_copy(update={"escalation_level": 1})
    results = await store.apply_many(
        [
            Transition(contact=raised, expect_rev=a.rev, events=[ev("escalated", "a")]),
            Transition(contact=stale, expect_rev=b.rev + 5, events=[ev("escalated", "b")]),
        ]
    )
    assert isinstance(results[0], Contact) and results[0].rev == a.rev + 1
    assert isinstance(results[1], Conflict) and results[1].reason == "stale"
    got_a, got_b = await store.get_contact("a"), await store.get_contact("b")
    assert got_a is not None and got_a.escalation_level == 1
    assert got_b is not None and got_b.escalation_level == 0 and got_b.rev == b.rev
    events = [(e.event, e.contact_id) for _, e in await store.read_events()]
    assert events[-1] == ("escalated", "a")
    assert await store.apply_many([]) == []


async def test_memory_marks_expire_and_are_swept() -> None:
    store = MemoryStore("t")
    for n in range(MARKS_SWEEP_AT):
        assert await store.mark_once(f"m{n}", 0.0)
    assert await store.mark_once("fresh", 60.0)
    assert len(store._marks) == 1
    assert not await store.mark_once("fresh", 60.0)


async def test_dispatch_state_in_one_read(store: Store) -> None:
    ana = Responder(id="ana", name="Ana", capacity={"sms": 2})
    await store.put_responder(ana, START)
    await store.put_responder(Responder(id="ben", name="Ben"), START)
    await store.set_presence("ben", "away", START)
    c = await intake(store, contact(), 1)
    held = c.model_copy(update={"status": ContactStatus.assigned, "responder": "ana"})
    await store.apply(Transition(contact=held, expect_rev=c.rev, loads=[LoadChange("ana", "sms", 1, 2)]))
    state = await store.dispatch_state()
    assert sorted(state.responders) == ["ana", "ben"] and state.responders["ana"] == ana
    assert state.presence == {"ana": "available", "ben": "away"}
    assert state.loads == {("ana", "sms"): 1}
    assert set(state.idle) == {"ana", "ben"}
    assert state.roster_head == await store.head_version() == 0


async def test_intake_state_reads_arrivals_seq_and_head_at_once(store: Store) -> None:
    first = await store.intake_state(["k-new"])
    assert first.arrivals == [] and first.roster_head == 0
    c = contact("a", sender_key="k-a")
    await store.apply(
        Transition(
            contact=c, expect_rev=None, enqueue_score=1, arrival=("k-a", START, START), events=[ev("r", "a")]
        )
    )
    later = START.replace(minute=START.minute + 1)
    d = contact("b", 2, sender_key="k-b")
    await store.apply(
        Transition(
            contact=d, expect_rev=None, enqueue_score=2, arrival=("k-b", later, START), events=[ev("r", "b")]
        )
    )
    state = await store.intake_state(["k-b", "k-a"])  # every listed key, oldest first
    assert state.arrivals == [START, later]
    assert state.seq == first.seq + 1  # each read takes a fresh sequence number


async def test_queued_contacts_in_serving_order_a_page_at_a_time(store: Store) -> None:
    for n, cid in enumerate(["c", "a", "b"]):
        await intake(store, contact(cid, n + 1), [3, 1, 2][n])
    page = await store.queued_contacts(2)
    assert [c.id for c in page] == ["a", "b"]
    rest = await store.queued_contacts(2, after=2)
    assert [c.id for c in rest] == ["c"] and rest[0].sender == "+15550001111"
    assert await store.queued_contacts(5, after=3) == []


async def test_claim_batch_brings_the_contacts_the_next_due_and_the_head(store: Store) -> None:
    due = START + timedelta(seconds=5)
    await intake(
        store, contact("a"), 1, [Timer(id="esc:a", kind=TimerKind.escalate, due=START, contact_id="a")]
    )
    await intake(
        store, contact("b", 2), 2, [Timer(id="esc:b", kind=TimerKind.escalate, due=due, contact_id="b")]
    )
    await store.arm([Timer(id="shift", kind=TimerKind.shift_change, due=START)])
    claim = await store.claim_batch(START, 30, 10)
    assert sorted(t.id for t in claim.timers) == ["esc:a", "shift"]
    assert list(claim.contacts) == ["a"] and claim.contacts["a"].sender == "+15550001111"
    assert claim.next_due == due  # what is left, the claimed ones leased past it
    assert claim.roster_head == 0
    empty = await store.claim_batch(START, 30, 10)
    assert empty.timers == [] and empty.contacts == {} and empty.next_due == due


async def test_get_offers_reads_those_that_exist_in_order(store: Store) -> None:
    for rid in ("ana", "ben"):
        await store.put_responder(Responder(id=rid, name=rid), START)
    c = await intake(store, contact(), 1)
    offered = tr.offer(
        c,
        [Responder(id="ana", name="Ana"), Responder(id="ben", name="Ben")],
        ["o1", "o2"],
        START,
        timedelta(minutes=2),
    )
    await store.apply(offered)
    assert [o.id for o in await store.get_offers(["o2", "gone", "o1"])] == ["o2", "o1"]
    assert await store.get_offers([]) == []


async def test_apply_many_is_one_round_trip_and_survives_forgotten_scripts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    a = await intake(store, contact("a"), 1)
    b = await intake(store, contact("b", 2), 2)
    sent = [0]
    for cls in SENDERS:  # every round trip passes through one of these
        monkeypatch.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))
    raised = [c.model_copy(update={"escalation_level": 1}) for c in (a, b)]
    first = await store.apply_many([Transition(contact=c, expect_rev=c.rev) for c in raised])
    assert [getattr(w, "rev", None) for w in first] == [2, 2]
    assert sent[0] == 1, "a batch of transitions is one round trip (no SCRIPT EXISTS first)"
    # Redis restarted without its script cache: the batch loads the script and is sent again.
    await store.redis.script_flush()
    again = [c.model_copy(update={"escalation_level": 2, "rev": 2}) for c in raised]
    second = await store.apply_many([Transition(contact=c, expect_rev=2) for c in again])
    assert [getattr(w, "rev", None) for w in second] == [3, 3]
    got = await store.get_contact("a")
    assert got is not None and got.escalation_level == 2 and got.rev == 3


def _counting(original: Any, sent: list[int]) -> Any:
    async def counted(self: object, command: object, check_health: bool = True) -> None:
        sent[0] += 1
        await original(self, command, check_health)

    return counted


async def test_apply_and_view_is_one_round_trip(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    a = await intake(store, contact("a"), 1)
    known = (await store.dispatch_view(None)).state
    sent = [0]
    for cls in SENDERS:
        monkeypatch.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))
    raised = a.model_copy(update={"escalation_level": 1})
    written, view = await store.apply_and_view(Transition(contact=raised, expect_rev=a.rev), known)
    assert getattr(written, "rev", None) == 2 and [c.id for c in view.queue or []] == ["a"]
    assert view.queue is not None and view.queue[0].escalation_level == 1  # read after the write
    assert sent[0] == 1, "the write and the read after it are one round trip"
