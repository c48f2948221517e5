"""Pages a write promised survive the instance that wrote it: an escalation, a breach or an
imminent danger whose instance dies before paging is paged late by another, never lost.

The crash is the notifier raising a BaseException (what kill -9 at that instant would leave:
the write done, nothing after it run); a second Engine on the same store is the instance that
carries on."""

from __future__ import annotations

import pytest

from protocols import Protocol, example_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.flagging import add_flags
from router.models import Event
from router.notify import LogNotifier, Page
from router.owed_pages import RECOVER_AFTER
from router.store import Store
from router.timer_models import Timer, TimerKind
from router.timers import TimerRunner
from tests.conftest import counter_ids
from tests.router.helpers import advance, pending_for, sms, staff

RECOVER_S = RECOVER_AFTER.total_seconds()


class Died(BaseException):
    """The instance is gone: nothing after this point runs (no handler catches it)."""


class DiesPaging(LogNotifier):
    async def page(self, page: Page) -> None:
        raise Died


def instance(store: Store, clock: VirtualClock, protocol: Protocol, notifier: LogNotifier) -> Engine:
    return Engine(store, clock, protocol, notifier=notifier, id_factory=counter_ids())


def pages(engine: Engine, reason: str) -> list[str]:
    assert isinstance(engine.notifier, LogNotifier)
    return sorted(rid for kind, rid, _ in engine.notifier.sent if kind == reason)


async def owed(store: Store) -> list[Timer]:
    return [t for t in await store.timers() if t.kind == TimerKind.pages]


async def paged_events(store: Store, contact_id: str) -> list[Event]:
    return [e for _, e in await store.read_events() if e.event == "paged" and e.contact_id == contact_id]


async def crashed_escalation(store: Store, clock: VirtualClock, protocol: Protocol) -> tuple[Engine, str]:
    """The first ladder step written by an instance that dies as it pages (the batch path)."""
    dying = instance(store, clock, protocol, DiesPaging())
    await staff(dying, ["ana"], ["ben"], ["sue"])
    await dying.set_presence("ana", "away")
    c = await dying.intake(sms())
    with pytest.raises(Died):
        await advance(dying, clock, protocol.escalation[0].after.total_seconds(), step=60)
    return dying, c.id


async def test_a_step_written_by_an_instance_that_died_is_paged_by_another(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    _, cid = await crashed_escalation(store, clock, protocol)
    written = await store.get_contact(cid)
    assert written is not None and written.ladder_step == 1
    (kept,) = await owed(store)
    assert kept.contact_id == cid and kept.reason == "escalation"
    assert kept.notify == list(protocol.escalation[0].notify) == ["backup"]
    assert await paged_events(store, cid) == []

    alive = instance(store, clock, protocol, LogNotifier())
    await advance(alive, clock, RECOVER_S - 1, step=RECOVER_S - 1)
    assert pages(alive, "escalation") == []  # not before the writer has had its chance
    await advance(alive, clock, 1)
    assert pages(alive, "escalation") == ["ben"]
    (event,) = await paged_events(store, cid)
    extra = event.model_extra or {}
    assert extra["responder"] == "ben" and extra["reason"] == "escalation"
    assert await owed(store) == []
    # paged once: the step is not written again, and nothing is owed any more
    await advance(alive, clock, 2 * RECOVER_S, step=RECOVER_S)
    assert pages(alive, "escalation") == ["ben"]
    again = await store.get_contact(cid)
    assert again is not None and again.ladder_step == 1


async def test_owed_escalation_pages_are_moot_once_the_contact_is_answered(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    _, cid = await crashed_escalation(store, clock, protocol)
    alive = instance(store, clock, protocol, LogNotifier())
    await alive.dispatch()
    [oid] = await pending_for(alive, "ben")  # the step widened the contact to the backup
    await alive.accept(oid, "ben")
    await alive.send_message(cid, "I am here", "ben")
    await advance(alive, clock, RECOVER_S + 1, step=RECOVER_S + 1)
    assert pages(alive, "escalation") == []
    assert await owed(store) == []


async def test_a_step_fired_on_its_own_path_keeps_its_pages_owed_until_sent(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    dying = instance(store, clock, protocol, DiesPaging())
    await staff(dying, ["ana"], ["ben"], ["sue"])
    await dying.set_presence("ana", "away")
    c = await dying.intake(sms())
    await clock.advance(protocol.escalation[0].after.total_seconds())
    (step,) = [t for t in await store.claim_due(clock.now(), 30) if t.kind == TimerKind.escalate]
    with pytest.raises(Died):
        await TimerRunner(dying).fire(step)
    assert [t.reason for t in await owed(store)] == ["escalation"]
    alive = instance(store, clock, protocol, LogNotifier())
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "escalation") == ["ben"]
    assert await owed(store) == [] and len(await paged_events(store, c.id)) == 1


async def test_a_step_paged_by_its_own_instance_owes_nothing_after(
    engine: Engine, clock: VirtualClock, protocol: Protocol
) -> None:
    await staff(engine, ["ana"], ["ben"], ["sue"])
    await engine.set_presence("ana", "away")
    c = await engine.intake(sms())
    await advance(engine, clock, protocol.escalation[0].after.total_seconds(), step=60)
    assert pages(engine, "escalation") == ["ben"]
    assert await owed(engine.store) == []
    await advance(engine, clock, RECOVER_S + 1, step=RECOVER_S + 1)
    assert pages(engine, "escalation") == ["ben"]
    assert len(await paged_events(engine.store, c.id)) == 1


async def test_imminent_danger_at_intake_is_paged_even_if_its_instance_died(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    dying = instance(store, clock, protocol, DiesPaging())
    await staff(dying, ["ana", "ben"], ["cy"], ["sue"])
    with pytest.raises(Died):
        await dying.intake(sms("he has a gun and says he will kill me", language="en"))
    (kept,) = await owed(store)
    assert kept.reason == "imminent_danger" and kept.notify == ["supervisor"]
    alive = instance(store, clock, protocol, LogNotifier())
    # Taken meanwhile: a supervisor still hears of a person in danger.
    [oid] = await pending_for(alive, "ana")
    await alive.accept(oid, "ana")
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "imminent_danger") == ["sue"]
    assert await owed(store) == []


async def test_danger_flagged_during_a_contact_is_paged_even_if_its_instance_died(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    dying = instance(store, clock, protocol, DiesPaging())
    await staff(dying, ["ana", "ben"], ["cy"], ["sue"])
    c = await dying.intake(sms("hello"))
    with pytest.raises(Died):
        await add_flags(dying, c.id, ["imminent_danger"], None, "caller")
    assert [t.reason for t in await owed(store)] == ["imminent_danger"]
    alive = instance(store, clock, protocol, LogNotifier())
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "imminent_danger") == ["sue"]
    assert await owed(store) == []


async def test_a_breach_whose_instance_died_is_paged_by_another(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    no_ladder = protocol.model_copy(update={"escalation": []})
    dying = instance(store, clock, no_ladder, DiesPaging())
    await staff(dying, ["ana"], ["ben"], ["sue"])
    await dying.set_presence("ana", "away")
    await dying.set_presence("ben", "away")
    c = await dying.intake(sms())
    with pytest.raises(Died):
        await advance(dying, clock, no_ladder.response_target.total_seconds(), step=60)
    breached = await store.get_contact(c.id)
    assert breached is not None and breached.breached
    assert [t.reason for t in await owed(store)] == ["breach"]
    alive = instance(store, clock, no_ladder, LogNotifier())
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "breach") == ["ana", "ben", "sue"]  # all on call, and the supervisor
    assert await owed(store) == []


async def test_a_debrief_whose_instance_died_after_the_close_is_paged_by_another(
    store: Store, clock: VirtualClock, protocol: Protocol
) -> None:
    dying = instance(store, clock, protocol, DiesPaging())
    await staff(dying, ["ana"], [], ["sue"])
    c = await dying.intake(sms("they took my passport and I can't leave", language="en"))
    [oid] = await pending_for(dying, "ana")
    await dying.accept(oid, "ana")
    await dying.send_message(c.id, "I'm here", "ana")
    with pytest.raises(Died):
        await dying.close(c.id, "support_given", None, "ana")
    closed = await store.get_contact(c.id)
    assert closed is not None and closed.status.value == "closed"
    assert [t.reason for t in await owed(store)] == ["debrief"]
    alive = instance(store, clock, protocol, LogNotifier())
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "debrief") == ["sue"]
    assert pages(alive, "notice") == ["ana"]  # the responder is told of the break, too
    assert await owed(store) == []


async def test_a_debrief_paged_by_its_own_instance_owes_nothing(engine: Engine) -> None:
    await staff(engine, ["ana"], [], ["sue"])
    c = await engine.intake(sms("they took my passport and I can't leave", language="en"))
    [oid] = await pending_for(engine, "ana")
    await engine.accept(oid, "ana")
    await engine.send_message(c.id, "I'm here", "ana")
    told = len(pages(engine, "notice"))  # the roster's own notices before
    await engine.close(c.id, "support_given", None, "ana")
    assert pages(engine, "debrief") == ["sue"] and len(pages(engine, "notice")) == told + 1
    assert await owed(engine.store) == []


async def test_a_partner_step_whose_instance_died_is_handed_over_by_another(
    store: Store, clock: VirtualClock
) -> None:
    rural = example_protocol("rural")  # at 12 minutes: the partner hotline, and the director paged
    first = instance(store, clock, rural, LogNotifier())
    await staff(first, ["ana"], [], ["dir"])
    await first.set_presence("ana", "away")
    c = await first.intake(sms("hello", sender="+15550002222"))
    await advance(first, clock, 11 * 60, step=30)  # the first two steps, paged as usual
    dying = instance(store, clock, rural, DiesPaging())
    with pytest.raises(Died):
        await advance(dying, clock, 60, step=30)
    assert [t.reason for t in await owed(store)] == ["escalation"]
    written = await store.get_contact(c.id)
    assert written is not None and "partner_handoff" not in [e.event for e in written.timeline]
    alive = instance(store, clock, rural, LogNotifier())
    await advance(alive, clock, RECOVER_S, step=RECOVER_S)
    assert pages(alive, "escalation") == ["dir"]
    got = await store.get_contact(c.id)
    assert got is not None and "partner_handoff" in [e.event for e in got.timeline]
    assert await owed(store) == []
