"""The engine obeys the protocol file: danger, repeats, minors, callbacks, partner overflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import example_protocol, parse_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import Invalid
from router.models import ContactIn, ContactStatus
from router.notify import LogNotifier
from router.store import Store
from tests.conftest import counter_ids
from tests.router.helpers import advance, pending_for, sms, staff

# 15:00 UTC is 10:00 at the hotline (America/New_York): daytime, so no overnight rule applies.
DAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAY)


def pages(engine: Engine, reason: str) -> set[str]:
    assert isinstance(engine.notifier, LogNotifier)
    return {rid for kind, rid, _ in engine.notifier.sent if kind == reason}


async def test_imminent_danger_goes_to_everyone_at_once(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"], ["cy"], ["sue"])
    c = await engine.intake(sms("he has a gun and says he will kill me", language="en"))
    assert c.priority.value == "critical" and "imminent_danger" in c.flags
    offered = {o.responder for o in await engine.offers_for(None, None)}
    assert offered == {"ana", "ben", "cy", "sue"}
    assert pages(engine, "imminent_danger") == {"sue"}  # the supervisor is paged now
    # no ladder: only the breach timer (and the offers) are armed
    kinds = {t.kind.value for t in await engine.store.timers() if t.contact_id == c.id}
    # (and the language fallback, which default.yaml has)
    assert kinds == {"breach", "offer_timeout", "language_fallback"}
    # the first to accept takes it; every other offer is withdrawn and its capacity given back
    [ben_offer] = await pending_for(engine, "ben")
    await engine.accept(ben_offer, "ben")
    assert await engine.offers_for(None, None) == []
    assert await engine.store.loads() == {("ben", "sms"): 1}


async def test_spanish_danger_words_and_a_minor(engine: Engine) -> None:
    await staff(engine, ["ana"], [], ["sue"], languages=["en", "es"])
    c = await engine.intake(sms("tengo 15 años y me va a matar", language="es"))
    assert c.priority.value == "critical"
    assert {"imminent_danger", "minor"} <= set(c.flags)
    [oid] = await pending_for(engine, "ana")
    await engine.accept(oid, "ana")
    await engine.send_message(c.id, "Estoy aquí", "ana")
    # Standard 30: a minor's contact cannot close without the mandated-report checklist
    with pytest.raises(Invalid) as info:
        await engine.close(c.id, "support_given", "talked", "ana")
    assert "mandated_report" in info.value.message
    report = {"what": "child at risk", "to": "county DSS", "when": DAY.isoformat(), "client_informed": True}
    closed = await engine.close(c.id, "support_given", "talked", "ana", {"mandated_report": report})
    assert closed.status == ContactStatus.closed and closed.outcome["mandated_report"]["to"] == "county DSS"


async def test_third_contact_in_a_day_is_a_repeat(engine: Engine, clock: VirtualClock) -> None:
    seen = []
    for _ in range(3):
        c = await engine.intake(sms("hello", sender="+15550007777"))
        seen.append(c)
        await engine.abandon(c.id)
        await clock.advance(3600)
    assert [c.priority.value for c in seen] == ["normal", "normal", "high"]
    assert "repeat_contact" in seen[2].flags
    other = await engine.intake(sms("hello", sender="+15550008888"))
    assert other.priority.value == "normal"


async def test_abandoned_call_gets_a_callback_task(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    call = await engine.intake(ContactIn.model_validate({"channel": "voice", "from": "+15550001111"}))
    await engine.abandon(call.id)
    await advance(engine, clock, 119, step=30)
    assert len(await engine.store.open_contacts()) == 0
    await advance(engine, clock, 1)
    [task_id] = await engine.store.open_contacts()
    task = await engine.get_contact(task_id)
    assert task.callback_for == call.id and task.channel == "voice"
    assert "callback" in task.flags and task.priority.value == "high"
    assert await pending_for(engine, "ana") == ["o_0002"]


async def test_rural_ladder_overflows_to_the_partner(store: Store, clock: VirtualClock) -> None:
    engine = Engine(store, clock, example_protocol("rural"), notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"], [], ["dir"])
    c = await engine.intake(sms("hello", sender="+15550002222"))
    await advance(engine, clock, 12 * 60, step=30)
    got = await engine.get_contact(c.id)
    events = [e.event for e in got.timeline]
    assert "partner_handoff" in events
    assert got.messages[-1].direction == "out" and "Mountain" in got.messages[-1].body
    assert "call 555-0100 or text 555-0101" in got.messages[-1].body  # the partner's phone and sms
    # the handoff is followed up, and the contact stays open for our own responder too
    assert got.is_open
    assert f"followup:{c.id}" in {t.id for t in await engine.store.timers()}
    assert (
        timedelta(minutes=12)
        == next(e.at for e in got.timeline if e.event == "partner_handoff") - c.received_at
    )


async def test_a_protocol_naming_no_dispositions_accepts_any_label(store: Store, clock: VirtualClock) -> None:
    minimal = parse_protocol("response_target: 30s\noffer_timeout: 5s\n", "minimal.yaml")
    engine = Engine(store, clock, minimal, notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"])
    c = await engine.intake(sms("hello"))
    await engine.accept("o_0001", "ana")
    await engine.send_message(c.id, "hi", "ana")
    closed = await engine.close(c.id, "resolved", None, "ana")
    assert closed.disposition == "resolved"


async def test_callback_attempts_follow_the_rule(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    call = await engine.intake(ContactIn.model_validate({"channel": "voice", "from": "+15550003333"}))
    await engine.abandon(call.id)
    attempts = []
    for _ in range(80):  # 40 minutes of virtual time, 30 s at a time
        await advance(engine, clock, 30, step=30)
        open_ids = await engine.store.open_contacts()
        if not open_ids:
            continue
        [task_id] = open_ids
        task = await engine.get_contact(task_id)
        attempts.append((task.attempt, round((task.received_at - call.received_at).total_seconds())))
        [oid] = await pending_for(engine, "ana")
        await engine.accept(oid, "ana")
        await engine.answered(task.id)
        await engine.close(task.id, "callback_unreached", "no answer", "ana")
    # default.yaml: abandoned calls get 3 attempts, the first after 2 min, then every 15 min
    assert attempts == [(1, 120), (2, 1020), (3, 1920)]
    assert "callback_abandoned" in task.flags


async def test_contact_closed_unanswered_is_a_missed_one(engine: Engine, clock: VirtualClock) -> None:
    c = await engine.intake(sms("hello", sender="+15550004444"))
    await engine.close(c.id, "other", "closed by the supervisor before anyone answered", "sue")
    timers = [t for t in await engine.store.timers() if t.kind.value == "callback"]
    assert [t.contact_id for t in timers] == [c.id]
