"""The store contract for intake in one round trip (router/receiving.py): a new contact numbered
by the store in its write, the guards on what intake guessed instead of reading, and the write
with the read after it in one round trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from protocols import Priority
from router.models import Contact, Responder
from router.store import SEQ_TO_ASSIGN, Conflict, LoadChange, RedisStore, Store, Transition
from router.store.wire import SENDERS
from router.transitions import queue_score
from tests.conftest import START
from tests.contract.test_store_batches import _counting
from tests.contract.test_store_contract import contact, ev, intake, roster_version
from tests.contract.test_store_views import an_offer


def unnumbered(cid: str, priority: Priority = Priority.normal, **guards: object) -> Transition:
    """A new contact's intake as router/receiving.py writes it: numbered by the store."""
    c = contact(cid, SEQ_TO_ASSIGN, priority, sender_key=f"k-{cid}")
    t = Transition(
        contact=c,
        expect_rev=None,
        enqueue_score=queue_score(c),
        events=[ev("received", cid)],
        arrival=(f"k-{cid}", START, START - timedelta(hours=24)),
        assign_seq=True,
    )
    for name, value in guards.items():
        setattr(t, name, value)
    return t


async def next_seq(store: Store) -> int:
    """The sequence number intake's read would take now (taking it)."""
    return (await store.intake_state(["nobody"])).seq


async def test_the_write_numbers_the_contact_from_the_counter_intake_reads(store: Store) -> None:
    first = await next_seq(store)
    a = await store.apply(unnumbered("a"))
    urgent = await store.apply(unnumbered("u", Priority.critical))
    b = await store.apply(unnumbered("b"))
    assert (a.seq, urgent.seq, b.seq) == (first + 1, first + 2, first + 3)
    stored = await store.get_contact("a")
    assert stored is not None and stored.seq == first + 1 and stored.rev == 1
    # queued by priority, then by the number the store gave them
    assert await store.ready_queue() == ["u", "a", "b"]
    assert await next_seq(store) == first + 4


async def test_a_contact_written_unnumbered_without_asking_is_refused(store: Store) -> None:
    t = unnumbered("a")
    t.assign_seq = False
    with pytest.raises(ValueError, match="unnumbered"):
        await store.apply(t)
    assert await store.get_contact("a") is None


async def publish_roster(store: Store) -> int:
    number = await store.head_version() + 1
    await store.publish(roster_version(number, "ana"))
    return number


async def test_each_guess_is_guarded_and_a_wrong_one_writes_nothing(store: Store) -> None:
    await store.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 3}), START)
    head = await publish_roster(store)
    state = (await store.dispatch_view(None, "none")).state
    first = await next_seq(store)
    # Someone under one of the keys arrived within the window: the repeat rule would apply.
    await intake(store, contact("before", 5, sender_key="k-x"), 5)
    await store.apply(
        Transition(
            contact=contact("earlier", 6, sender_key="k-old"),
            expect_rev=None,
            enqueue_score=6,
            arrival=("k-old", START + timedelta(minutes=5), START - timedelta(hours=24)),
        )
    )
    wrong: list[tuple[str, Transition]] = [
        ("roster", unnumbered("a", expect_head=head - 1)),
        ("arrivals", unnumbered("a", first_since=(["k-new", "k-old"], START + timedelta(minutes=5)))),
    ]
    # Another write moved loads since the state was read (offers are guarded on loads and
    # presence as ever), and a responder's record changed: an offer chosen by it may not suit.
    mover = await intake(store, contact("m", 7), 7)
    taken = mover.model_copy(update={"responder": "ana"})
    await store.apply(Transition(contact=taken, expect_rev=1, loads=[LoadChange("ana", "sms", 1, 3)]))
    records = state.version.partition("/")[2]
    await store.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 3}, languages=["fr"]), START)
    wrong.append(("responders", unnumbered("a", expect_responders=records)))
    for reason, t in wrong:
        with pytest.raises(Conflict) as refused:
            await store.apply(t)
        assert refused.value.reason == reason
        assert await store.get_contact("a") is None
    # Guesses that hold: the head, the state as it stands, nobody since the window began.
    now = (await store.dispatch_view(None, "none")).state
    written = await store.apply(
        unnumbered(
            "a",
            expect_head=head,
            expect_responders=now.version.partition("/")[2],
            first_since=(["k-new", "k-old"], START + timedelta(minutes=5, milliseconds=1)),
        )
    )
    # No wrong guess took a number.
    assert written.seq == first + 1 and await store.ready_queue() == ["before", "earlier", "m", "a"]


async def test_intake_and_view_reads_after_its_write(store: Store) -> None:
    await store.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 3}), START)
    known = (await store.dispatch_view(None, "none")).state
    written, found = await store.intake_and_view(unnumbered("a"), known, ["k-a", "k-other"])
    assert isinstance(written, Contact) and written.seq > 0
    assert found.arrivals == [START] and found.queued == 1 and found.seq == 0
    assert found.dispatch is not None and found.dispatch.version == known.version
    # A wrong guess: nothing written, and the read shows what intake must decide on instead.
    refused, again = await store.intake_and_view(unnumbered("b", expect_head=99), known, ["k-a"])
    assert isinstance(refused, Conflict) and refused.reason == "roster"
    assert again.arrivals == [START] and again.queued == 1 and again.roster_head == 0
    assert await store.get_contact("b") is None


async def test_intake_and_view_is_one_round_trip(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    assert store.one_trip_intake
    known = (await store.dispatch_view(None, "none")).state
    sent = [0]
    for cls in SENDERS:
        monkeypatch.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))
    written, found = await store.intake_and_view(unnumbered("a"), known, ["k-a"])
    assert isinstance(written, Contact) and found.queued == 1
    assert sent[0] == 1, "intake's write and the read after it are one round trip"


async def test_apply_on_guess_writes_or_hands_back_the_contact_as_it_stands(store: Store) -> None:
    a = await intake(store, contact("a"), 1)
    raised = a.model_copy(update={"escalation_level": 1})
    written, fresh, view = await store.apply_on_guess(Transition(contact=raised, expect_rev=a.rev))
    assert isinstance(written, Contact) and written.rev == 2 and fresh is None and view is None
    # Decided on revision 1 again: refused, and the contact read in the same trip comes back.
    stale = a.model_copy(update={"escalation_level": 5})
    refused, fresh, view = await store.apply_on_guess(Transition(contact=stale, expect_rev=a.rev), (None, 10))
    assert isinstance(refused, Conflict) and refused.reason == "stale"
    assert fresh is not None and fresh.contact is not None and fresh.contact.rev == 2
    assert fresh.contact.escalation_level == 1 and fresh.offers == []
    assert view is not None and [c.id for c in view.queue or []] == ["a"]


async def test_what_this_process_knows_is_what_it_wrote_until_someone_else_writes(store: Store) -> None:
    if not isinstance(store, RedisStore):
        assert store.known_view("a") is None  # the embedded store reads for free: it guesses nothing
        return
    a = await intake(store, contact("a"), 1)
    known = store.known_view("a")
    assert known is not None and known.contact == a and known.offers == []
    other = RedisStore(store.redis, store.hotline)  # another instance (sharing the client)
    moved = await other.apply(Transition(contact=a.model_copy(update={"escalation_level": 1}), expect_rev=1))
    assert store.known_view("a") == known  # a guess: the write under it will be refused
    # This process writes over a revision it did not hold (it read nothing): forgotten.
    await store.apply(Transition(contact=moved.model_copy(update={"escalation_level": 2}), expect_rev=2))
    assert store.known_view("a") is None
    read = await store.contact_view("a")
    assert store.known_view("a") == read


async def test_a_guess_is_one_script_whose_refusal_carries_the_contact_and_its_offers(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # transition.lua reads the contact only when it refuses a guessed write: a write that landed
    # carries no record back (a long conversation's came back with every message).
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    a = await intake(store, contact("a"), 1)
    offered = await store.apply(
        Transition(
            contact=a.model_copy(update={"offer_ids": ["o1"]}),
            expect_rev=a.rev,
            offers=[an_offer("o1", "ana")],
        )
    )
    sent: list[list[Any]] = []
    real = store._scripts_at_once

    async def spy(calls: list[Any]) -> list[Any]:
        replies = await real(calls)
        sent.append([len(calls), replies])
        return replies

    monkeypatch.setattr(store, "_scripts_at_once", spy)
    raised = offered.model_copy(update={"escalation_level": 1})
    written, fresh, _ = await store.apply_on_guess(Transition(contact=raised, expect_rev=offered.rev))
    assert isinstance(written, Contact) and fresh is None
    assert sent[-1][0] == 1 and len(sent[-1][1][0]) == 5  # one script; "ok" and four figures
    stale = offered.model_copy(update={"escalation_level": 5})
    refused, fresh, _ = await store.apply_on_guess(Transition(contact=stale, expect_rev=offered.rev))
    assert isinstance(refused, Conflict) and refused.reason == "stale" and sent[-1][0] == 1
    assert fresh is not None and fresh.contact == written
    assert fresh.offers is not None and [o.id for o in fresh.offers] == ["o1"]
    # A contact gone meanwhile: refused, and nothing to decide on.
    gone, fresh, _ = await store.apply_on_guess(
        Transition(contact=stale.model_copy(update={"id": "zz"}), expect_rev=3)
    )
    assert isinstance(gone, Conflict) and fresh is not None and fresh.contact is None
