"""Timers in one round trip on Redis (router/timers.py): an escalation this instance armed is fired
on what it wrote of its contact, in the same round trip as the claim; when another instance
changed the contact or fired the timer first, the claim's read decides, and the escalation is
still written exactly once."""

from __future__ import annotations

import pytest

from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus
from router.timer_models import TimerKind
from router.timers import TimerRunner
from tests.router import trips
from tests.router.helpers import sms, staff
from tests.router.trips import elsewhere, round_trips

# The daytime clock and Redis only (tests/router/trips.py), as this module's fixtures.
clock = trips.clock
redis_only = trips.redis_only


async def due_escalation(engine: Engine, clock: VirtualClock) -> tuple[str, TimerRunner]:
    """A contact taken in with nobody on call, and the clock at its first escalation."""
    c = await engine.intake(sms(sender="+15550000001"))
    runner = TimerRunner(engine)
    await runner.fire_due()  # nothing due yet: Redis learns the claim script (not counted)
    await clock.advance(engine.protocol.escalation[0].after.total_seconds())
    return c.id, runner


def missed(engine: Engine, reason: str) -> float:
    return (
        engine.metrics.registry.get_sample_value("safetynet_timer_guesses_missed_total", {"reason": reason})
        or 0.0
    )


async def test_a_lone_escalation_this_instance_armed_is_one_round_trip(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, runner = await due_escalation(engine, clock)
    with round_trips(monkeypatch) as sent:
        fired = await runner.fire_due()
    assert fired == 1 and sent[0] == 1, sent[0]
    stored = await engine.get_contact(cid)
    assert stored.escalation_level == 1
    assert [e.event for e in stored.timeline].count("escalated") == 1


async def test_a_contact_changed_elsewhere_is_escalated_on_the_claims_read(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, runner = await due_escalation(engine, clock)
    await elsewhere(engine).receive_message(cid, "are you there?")  # this instance never saw it
    with round_trips(monkeypatch) as sent:
        fired = await runner.fire_due()
    assert fired == 1 and sent[0] == 2, "the guess refused, decided again on the claim's read"
    stored = await engine.get_contact(cid)
    assert stored.escalation_level == 1 and stored.messages[-1].body == "are you there?"
    assert [e.event for e in stored.timeline].count("escalated") == 1
    assert missed(engine, "stale") == 1


async def test_an_escalation_another_instance_fired_first_is_not_fired_again(
    engine: Engine, clock: VirtualClock
) -> None:
    cid, runner = await due_escalation(engine, clock)
    other = elsewhere(engine)
    assert await TimerRunner(other).fire_due() == 1
    assert await runner.fire_due() == 0
    stored = await engine.get_contact(cid)
    assert stored.escalation_level == 1
    assert [e.event for e in stored.timeline].count("escalated") == 1
    # Refused on the revision the other instance's escalation moved (checked before the timer).
    assert missed(engine, "stale") == 1


async def test_an_offer_timing_out_is_released_in_its_claims_round_trip(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana"], capacity={"sms": 5})
    first = await engine.intake(sms(sender="+15550000001"))
    runner = TimerRunner(engine)
    await runner.fire_due()  # nothing due yet: Redis learns the claim script (not counted)
    timeout = engine.protocol.offer_timeout.total_seconds()
    await clock.advance(timeout / 2)
    second = await engine.intake(sms(sender="+15550000002"))
    await clock.advance(timeout / 2)
    with round_trips(monkeypatch) as sent:
        assert await runner.fire_due() == 1
    # The claim and, in the same trip, the offer released on what this instance wrote (guarded
    # on its revision and on the timer being due or leased by that claim) and what dispatch
    # reads after it; then the timer for the end of Ana's cooldown with this contact (nobody
    # else is on call to offer it to).
    assert sent[0] == 2, sent[0]
    assert (await engine.get_contact(first.id)).status == ContactStatus.queued
    await clock.advance(timeout / 2)
    with round_trips(monkeypatch) as sent:
        assert await runner.fire_due() == 1
    # The second lapses within the first's cooldown: that timer, still to come, covers it.
    assert sent[0] == 1, sent[0]
    assert (await engine.get_contact(second.id)).status == ContactStatus.queued


async def test_a_burst_paging_the_backup_records_every_page_in_one_write(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twenty escalations due at once, each paging the backup: the pages are sent one by one and
    # recorded together (one write for the batch, not one per escalation), every owed timer
    # cleared in it.
    await staff(engine, ["ana"], ["ben"])
    await engine.set_presence("ana", "away")
    ids = [(await engine.intake(sms(sender=f"+1555000{i:04d}"))).id for i in range(20)]
    runner = TimerRunner(engine)
    await runner.fire_due()  # nothing due yet: Redis learns the claim script (not counted)
    await clock.advance(engine.protocol.escalation[0].after.total_seconds())
    with round_trips(monkeypatch) as sent:
        fired = await runner.fire_due()
    # claim and escalations, the pages' record, then dispatch's read and its offers to ben (the
    # widened audience); one write per escalation's pages would be 23
    assert fired == 20 and sent[0] <= 4, sent[0]
    paged = [e for _, e in await engine.store.read_events() if e.event == "paged"]
    assert sorted(e.contact_id or "" for e in paged) == sorted(ids)
    assert {e.model_extra["responder"] for e in paged if e.model_extra} == {"ben"}
    assert not [t for t in await engine.store.timers() if t.kind == TimerKind.pages]


async def test_an_offer_timing_out_on_a_contact_changed_elsewhere_is_released_once(
    engine: Engine, clock: VirtualClock
) -> None:
    await staff(engine, ["ana"], capacity={"sms": 5})
    c = await engine.intake(sms(sender="+15550000001"))
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered  # to Ana
    runner = TimerRunner(engine)
    await runner.fire_due()
    await elsewhere(engine).receive_message(c.id, "are you there?")  # this instance never saw it
    await clock.advance(engine.protocol.offer_timeout.total_seconds())
    assert await runner.fire_due() == 1
    stored = await engine.get_contact(c.id)
    assert stored.status == ContactStatus.queued and stored.messages[-1].body == "are you there?"
    assert [e.event for e in stored.timeline].count("offer_expired") == 1
    assert missed(engine, "stale") == 1  # the guess refused, released on the claim's read
