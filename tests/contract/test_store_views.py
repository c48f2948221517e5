"""The store contract: dispatch's one read, its state reused while nothing in it changed, and
intake's read that also brings the dispatch state (to offer in its own write)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from protocols import Priority
from router.models import ContactStatus, Offer, OfferStatus, Responder
from router.store import Conflict, ContactView, DispatchState, LoadChange, Store, Transition
from router.store.records import with_rev
from tests.conftest import START
from tests.contract.test_store_contract import contact, ev, intake


async def held_state(store: Store) -> DispatchState:
    await store.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 2}), START)
    view = await store.dispatch_view(None)
    assert sorted(view.state.responders) == ["ana"] and view.state.version
    return view.state


async def test_state_is_reused_while_its_version_holds(store: Store) -> None:
    known = await held_state(store)
    await intake(store, contact("a"), 1)  # no load, no idle time: dispatch's state is as it was
    view = await store.dispatch_view(known)
    assert view.state.version == known.version
    assert view.state.responders is known.responders and view.state.loads is known.loads
    assert view.queued == 1 and [c.id for c in view.queue or []] == ["a"]


async def test_every_write_dispatch_reads_moves_the_version(store: Store) -> None:
    seen = {(await held_state(store)).version}

    async def moved() -> DispatchState:
        state = (await store.dispatch_view(None, "none")).state
        assert state.version not in seen, "a write dispatch reads left the version where it was"
        seen.add(state.version)
        return state

    await store.put_responder(Responder(id="ben", name="Ben"), START)
    assert "ben" in (await moved()).responders
    await store.set_presence("ben", "away", START)
    assert (await moved()).presence["ben"] == "away"
    c = await intake(store, contact("a"), 1)
    held = c.model_copy(update={"status": ContactStatus.assigned, "responder": "ana"})
    c = await store.apply(Transition(contact=held, expect_rev=c.rev, loads=[LoadChange("ana", "sms", 1, 2)]))
    assert (await moved()).loads == {("ana", "sms"): 1}
    later = START + timedelta(minutes=3)
    await store.apply(Transition(contact=c, expect_rev=c.rev, idle={"ana": later}))
    assert (await moved()).idle["ana"] == later


async def test_queue_pages_only_when_asked(store: Store) -> None:
    known = await held_state(store)
    await intake(store, contact("a"), 2)
    await intake(store, contact("b", 2), 1)
    assert [c.id for c in (await store.dispatch_view(known, "always")).queue or []] == ["b", "a"]
    unchanged = await store.dispatch_view(known, "changed")
    assert unchanged.queue is None and unchanged.queued == 2
    fresh = await store.dispatch_view(None, "changed", limit=1)
    assert [c.id for c in fresh.queue or []] == ["b"] and fresh.queued == 2
    assert (await store.dispatch_view(None, "none")).queue is None


async def test_intake_state_brings_the_dispatch_state_when_asked(store: Store) -> None:
    known = await held_state(store)
    plain = await store.intake_state(["k-x"])
    assert plain.dispatch is None
    asked = await store.intake_state(["k-x"], known, dispatch=True)
    assert asked.seq == plain.seq + 1 and asked.queued == 0
    assert asked.dispatch is not None and asked.dispatch.responders is known.responders
    await intake(store, contact("a"), 1)
    again = await store.intake_state(["k-x"], None, dispatch=True)
    assert again.queued == 1 and again.dispatch is not None and "ana" in again.dispatch.responders


async def test_queue_empty_guard_refuses_and_writes_nothing(store: Store) -> None:
    await intake(store, contact("a"), 1)
    jumping = Transition(
        contact=contact("b", 2), expect_rev=None, queue_empty=True, events=[ev("received", "b")]
    )
    with pytest.raises(Conflict) as refused:
        await store.apply(jumping)
    assert refused.value.reason == "queue"
    assert await store.get_contact("b") is None
    assert [e.contact_id for _, e in await store.read_events()] == ["a"]
    # With the queue empty the same write goes through.
    await store.apply(
        Transition(contact=(await store.get_contact("a") or contact("a")), expect_rev=1, dequeue=True)
    )
    assert (await store.apply(jumping)).rev == 1


def an_offer(oid: str, responder: str) -> Offer:
    return Offer(
        id=oid,
        contact_id="a",
        responder=responder,
        channel="sms",
        priority=Priority.normal,
        created_at=START,
        expires_at=START + timedelta(seconds=60),
    )


async def test_contact_view_reads_a_contact_with_its_offers(store: Store) -> None:
    c = await intake(store, contact("a"), 1)
    assert (await store.contact_view("a")).offers == []
    first, second = an_offer("o1", "ana"), an_offer("o2", "ben")
    offered = c.model_copy(update={"status": ContactStatus.offered, "offer_ids": ["o1", "o2"]})
    c = await store.apply(Transition(contact=offered, expect_rev=c.rev, offers=[first, second], dequeue=True))
    by_id = await store.contact_view("a")
    assert by_id.contact == await store.get_contact("a") and by_id.offer is None
    assert by_id.offers == [first, second]
    by_offer = await store.contact_view(offer_id="o2")
    assert by_offer.offer == second and by_offer.contact is not None and by_offer.contact.rev == c.rev
    assert by_offer.contact.sender == "+15550001111"  # the personal part opened too
    declined = second.model_copy(update={"status": OfferStatus.declined})
    await store.apply(Transition(contact=c, expect_rev=c.rev, offers=[declined]))
    again = await store.contact_view(offer_id="o1")
    assert again.offers == [first, declined] and again.offer == first
    assert await store.contact_view("nobody") == ContactView(None, None, None)
    assert await store.contact_view(offer_id="o9") == ContactView(None, None, None)


async def test_responder_records_are_reused_while_only_loads_move(store: Store) -> None:
    known = await held_state(store)
    c = await intake(store, contact("a"), 1)
    held = c.model_copy(update={"status": ContactStatus.assigned, "responder": "ana"})
    await store.apply(Transition(contact=held, expect_rev=c.rev, loads=[LoadChange("ana", "sms", 1, 2)]))
    moved = (await store.dispatch_view(known, "none")).state
    assert moved.version != known.version and moved.loads == {("ana", "sms"): 1}
    assert moved.responders is known.responders, "records parsed again though none changed"
    await store.put_responder(Responder(id="ana", name="Ana R", capacity={"sms": 2}), START)
    renamed = (await store.dispatch_view(moved, "none")).state
    assert renamed.responders["ana"].name == "Ana R"


def test_with_rev_is_model_copy_with_the_revision() -> None:
    c = contact("a").model_copy(update={"flags": ["minor"]})
    assert with_rev(c, 7) == c.model_copy(update={"rev": 7})
    assert with_rev(c, 7).model_fields_set == c.model_copy(update={"rev": 7}).model_fields_set
    assert c.rev != 7, "the original is left as it was"


async def test_apply_and_view_reads_after_the_write(store: Store) -> None:
    known = await held_state(store)
    c = await intake(store, contact("a"), 1)
    await intake(store, contact("b", 2), 2)
    held = c.model_copy(update={"status": ContactStatus.assigned, "responder": "ana"})
    taken = Transition(contact=held, expect_rev=c.rev, dequeue=True, loads=[LoadChange("ana", "sms", 1, 2)])
    written, view = await store.apply_and_view(taken, known)
    assert not isinstance(written, Conflict) and written.rev == c.rev + 1
    # The view is the state and queue as the write left them.
    assert view.state.version != known.version and view.state.loads == {("ana", "sms"): 1}
    assert view.queued == 1 and [q.id for q in view.queue or []] == ["b"]
    # A write its guard refuses changes nothing, and the view is still read.
    refused, after = await store.apply_and_view(Transition(contact=held, expect_rev=c.rev), view.state)
    assert isinstance(refused, Conflict)
    assert after.state.version == view.state.version and [q.id for q in after.queue or []] == ["b"]
