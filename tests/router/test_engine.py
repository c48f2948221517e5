"""Routing behaviour on the virtual clock, against both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import Invalid, InvalidState
from router.models import ContactStatus, Event, Responder
from router.notify import LogNotifier
from router.store import Store
from schedules import Roster, Shift
from tests.conftest import counter_ids
from tests.router.helpers import advance, events_of, pending_for, sms, staff


async def test_contact_is_offered_to_the_primary_on_call(engine: Engine) -> None:
    await staff(engine, ["ana"], ["ben"], ["sue"])
    c = await engine.intake(sms())
    assert c.status == ContactStatus.queued
    assert await pending_for(engine, "ana") == ["o_0001"]
    assert await pending_for(engine, "ben") == []
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_nobody_on_call_means_it_waits(engine: Engine) -> None:
    await engine.put_responder(Responder(id="ana", name="Ana"))
    c = await engine.intake(sms())
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    assert await engine.offers_for(None, None) == []


async def test_longest_idle_is_chosen(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    await engine.set_presence("ana", "away")
    await clock.advance(10)
    await engine.set_presence("ana", "available")  # ana idle since now; ben since the start
    await engine.intake(sms())
    assert await pending_for(engine, "ben") == ["o_0001"]


async def test_language_skills_and_presence_filter_candidates(engine: Engine) -> None:
    await staff(engine, ["ana", "ben", "cy"])
    await engine.put_responder(Responder(id="ana", name="Ana", languages=["en", "es"], skills=["legal"]))
    await engine.put_responder(Responder(id="ben", name="Ben", languages=["en"]))
    await engine.put_responder(Responder(id="cy", name="Cy", languages=["es"], skills=["legal"]))
    await engine.set_presence("cy", "away")
    await engine.intake(sms(language="es", skills=["legal"]))
    assert await pending_for(engine, "ana") == ["o_0001"]


async def test_capacity_per_channel(engine: Engine) -> None:
    await staff(engine, ["ana"])
    await engine.put_responder(Responder(id="ana", name="Ana", capacity={"voice": 1, "sms": 2}))
    for i in range(3):
        await engine.intake(sms(sender=f"+1555000000{i}"))
    assert len(await pending_for(engine, "ana")) == 2
    assert len(await engine.store.ready_queue()) == 1


async def test_priority_then_arrival_order(engine: Engine) -> None:
    await staff(engine, ["ana"])
    await engine.set_presence("ana", "away")
    first = await engine.intake(sms("hello", sender="+15550000001"))
    urgent = await engine.intake(sms("he has a gun", sender="+15550000002", language="en"))
    second = await engine.intake(sms("hi", sender="+15550000003"))
    assert urgent.priority.value == "critical"
    assert await engine.store.ready_queue() == [urgent.id, first.id, second.id]


async def test_decline_goes_to_someone_else_not_back(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms())
    [oid] = await pending_for(engine, "ana")
    await engine.decline(oid, "ana")
    assert await pending_for(engine, "ben") == ["o_0002"]
    await engine.decline("o_0002", "ben")
    # both declined: nobody is offered it again until the cooldown (offer_timeout) passes
    assert await engine.offers_for(None, None) == []
    await advance(engine, clock, 60)
    assert len(await engine.offers_for(None, None)) == 1
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_offer_timeout_moves_on(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms())
    await advance(engine, clock, 59)
    assert await pending_for(engine, "ana") == ["o_0001"]
    await advance(engine, clock, 1)
    assert await pending_for(engine, "ana") == []
    assert await pending_for(engine, "ben") == ["o_0002"]
    assert await events_of(engine, c) == ["received", "offered", "offer_expired", "offered"]


async def test_accept_then_first_reply_answers(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    await advance(engine, clock, 30)
    accepted = await engine.accept("o_0001", "ana")
    assert accepted.status == ContactStatus.assigned and accepted.answered_at is None
    await advance(engine, clock, 15)
    answered = await engine.send_message(c.id, "I'm here", "ana")
    assert answered.status == ContactStatus.answered
    assert answered.answered_at == c.received_at + timedelta(seconds=45)
    # answering stops the ladder and the breach timer
    assert [t.id for t in await engine.store.timers() if t.contact_id == c.id] == []


async def test_expired_or_taken_offers_conflict(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    await engine.intake(sms())
    await advance(engine, clock, 60)
    with pytest.raises(InvalidState):
        await engine.accept("o_0001", "ana")
    await engine.accept("o_0002", "ben")
    with pytest.raises(InvalidState):
        await engine.decline("o_0002", "ben")


async def test_ladder_widens_to_backup_and_breaches_at_target(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"], ["ben"], ["sue"])
    c = await engine.intake(sms())
    # ana never answers; offers to her lapse; at 5 min the backup is in the audience
    await advance(engine, clock, 299, step=10)
    offered_to = {o.responder for o in await engine.offers_for(None, None)}
    assert "ben" not in offered_to
    await advance(engine, clock, 1)
    got = await engine.get_contact(c.id)
    assert got.escalation_level == 1 and "backup" in got.audience
    await advance(engine, clock, 20 * 60 - 300 - 1, step=10)
    assert not (await engine.get_contact(c.id)).breached
    await advance(engine, clock, 1)
    got = await engine.get_contact(c.id)
    assert got.breached and got.escalation_level == 4
    breach = [e for e in got.timeline if e.event == "breached"]
    assert len(breach) == 1 and breach[0].at == c.received_at + timedelta(minutes=20)
    pages = [s for s in engine.notifier.sent if s[0] == "breach"]  # type: ignore[attr-defined]
    assert {p[1] for p in pages} == {"ana", "ben", "sue"}


async def test_deadline_is_never_reset(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms())
    for _ in range(5):
        await advance(engine, clock, 30)
        for oid in [o.id for o in await engine.offers_for(None, None)]:
            await engine.decline(oid)
    got = await engine.get_contact(c.id)
    assert got.deadline == c.received_at + timedelta(minutes=20)
    assert [t.due for t in await engine.store.timers() if t.id == f"breach:{c.id}"] == [got.deadline]


async def test_backup_stands_in_when_no_primary(engine: Engine) -> None:
    await staff(engine, [], ["ben"])
    await engine.intake(sms())
    assert await pending_for(engine, "ben") == ["o_0001"]


async def test_close_frees_capacity_and_dispatches_the_next(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    await engine.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 1}))
    a = await engine.intake(sms(sender="+15550000001"))
    b = await engine.intake(sms(sender="+15550000002"))
    await engine.accept("o_0001", "ana")
    await engine.send_message(a.id, "hi", "ana")
    assert (await engine.get_contact(b.id)).status == ContactStatus.queued
    with pytest.raises(Invalid):
        await engine.close(a.id, "not-a-disposition", None, "ana")
    closed = await engine.close(a.id, "support_given", "ok", "ana")
    assert closed.status == ContactStatus.closed
    # the protocol's wrap-up (2m) comes first: then the next contact is offered by itself
    assert (await engine.get_contact(b.id)).status == ContactStatus.queued
    await advance(engine, clock, 120, step=10)
    assert (await engine.get_contact(b.id)).status == ContactStatus.offered
    with pytest.raises(InvalidState):
        await engine.close(a.id, "support_given", None, "ana")


async def test_presence_change_dispatches(engine: Engine) -> None:
    await staff(engine, ["ana"])
    await engine.set_presence("ana", "offline")
    c = await engine.intake(sms())
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    await engine.set_presence("ana", "available")
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_shift_change_dispatches(engine: Engine, clock: VirtualClock) -> None:
    now = clock.now()
    await engine.put_responder(Responder(id="ana", name="Ana"))
    later = now + timedelta(minutes=3)
    roster = Roster(
        shifts=[Shift(responder="ana", role="primary", start=later, end=later + timedelta(hours=8))]
    )
    await engine.rosters.put_draft("main", roster, now, now + timedelta(days=1))
    await engine.rosters.publish("main", now, now + timedelta(days=1), True, "t")
    await engine.arm_shift_change()
    c = await engine.intake(sms())
    await advance(engine, clock, 179, step=30)
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    await advance(engine, clock, 1)
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_abandon_releases_the_offer(engine: Engine) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    gone = await engine.abandon(c.id)
    assert gone.status == ContactStatus.abandoned
    assert await engine.offers_for(None, None) == []
    assert await engine.store.loads() == {}
    assert await engine.store.open_contacts() == []
    with pytest.raises(InvalidState):
        await engine.abandon(c.id)


async def test_returning_person_finds_their_open_contact(engine: Engine) -> None:
    c = await engine.intake(sms(sender="+1 (555) 000-1234"))
    again = await engine.open_contact_for("sms", "+1 (555) 000-1234")
    assert again is not None and again.id == c.id
    assert await engine.open_contact_for("sms", "+15559999999") is None
    assert c.sender_key and "555" not in c.sender_key


async def test_grace_timer_abandons_an_unanswered_contact(engine: Engine, clock: VirtualClock) -> None:
    c = await engine.intake(sms())
    await engine.arm_grace(c.id, clock.now() + timedelta(seconds=90))
    await advance(engine, clock, 89, step=30)
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    await advance(engine, clock, 1)
    assert (await engine.get_contact(c.id)).status == ContactStatus.abandoned


async def test_grace_disarmed_when_the_person_returns(engine: Engine, clock: VirtualClock) -> None:
    c = await engine.intake(sms())
    await engine.arm_grace(c.id, clock.now() + timedelta(seconds=90))
    await engine.disarm_grace(c.id)
    await advance(engine, clock, 120, step=30)
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued


async def test_note_records_without_changing_state(engine: Engine) -> None:
    c = await engine.intake(sms())
    noted = await engine.note(c.id, "person_left", channel="chat")
    assert noted.status == c.status and noted.timeline[-1].event == "person_left"


async def test_release_returns_to_the_queue_keeping_place_and_deadline(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms())
    await engine.accept("o_0001", "ana")
    released = await engine.release(c.id, "bridge_call_unanswered")
    assert released.status == ContactStatus.offered and released.deadline == c.deadline
    assert await pending_for(engine, "ben") == ["o_0002"]
    assert ("ana", "sms") not in await engine.store.loads()
    with pytest.raises(InvalidState):
        await engine.release(c.id, "again")


async def test_language_chosen_later_routes_to_a_speaker(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"])
    await engine.put_responder(Responder(id="ben", name="Ben", languages=["en", "es"]))
    await engine.set_presence("ana", "away")
    await engine.set_presence("ben", "away")
    c = await engine.intake(sms())
    await engine.set_language(c.id, "es")
    await engine.set_presence("ana", "available")
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    await engine.set_presence("ben", "available")
    assert await pending_for(engine, "ben") == ["o_0001"]


async def test_a_long_queue_is_served_past_the_first_page(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("router.dispatching.QUEUE_PAGE", 5)
    await staff(engine, ["ana", "ben"])
    for rid in ("ana", "ben"):
        await engine.put_responder(Responder(id=rid, name=rid, capacity={"sms": 10}))
        await engine.set_presence(rid, "away")
    head = [await engine.intake(sms("hi", language="es", sender=f"+1555100{i:04d}")) for i in range(7)]
    for i in range(30):
        await engine.intake(sms("hi", sender=f"+1555000{i:04d}"))
    # nobody speaks Spanish: the first pages cannot be served, the later ones must be
    await engine.set_presence("ana", "available")
    await engine.set_presence("ben", "available")
    assert len(await engine.offers_for(None, None)) == 20
    assert (await engine.store.ready_queue())[:7] == [c.id for c in head]
    assert await engine.store.queue_depth() == 7 + 10


async def test_cooldown_retry_on_a_clock_between_milliseconds(store: Store) -> None:
    # The redispatch timer must not round below the cooldown's end and re-arm forever.
    clock = VirtualClock(datetime(2026, 3, 2, 9, 0, 0, 400, tzinfo=UTC))
    engine = Engine(store, clock, default_protocol(), notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    await engine.decline("o_0001", "ana")
    await advance(engine, clock, 61, step=0.0003 * 1000)
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_a_failing_listener_never_undoes_routing(engine: Engine) -> None:
    heard: list[str] = []

    class Broken:
        async def on_event(self, contact: object, event: Event) -> None:
            heard.append(event.event)
            raise RuntimeError("the adapter fell over")

    engine.listeners.append(Broken())
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered
    assert heard == ["received", "offered"], "every event still reached the listener"
    failed = engine.metrics.notify_failures.labels("listener")._value.get()
    assert failed == 2
