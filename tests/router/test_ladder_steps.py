"""The escalation ladder is armed one step at a time: each step's timer carries the steps after it."""

from __future__ import annotations

from datetime import timedelta

from protocols import EscalationStep
from router.clock import VirtualClock
from router.engine import Engine
from router.timer_models import Timer, TimerKind
from tests.router.helpers import advance, sms, staff


async def _steps(engine: Engine, contact_id: str) -> list[Timer]:
    return [
        t for t in await engine.store.timers() if t.kind == TimerKind.escalate and t.contact_id == contact_id
    ]


async def test_intake_arms_the_first_step_carrying_the_rest(engine: Engine) -> None:
    await staff(engine, [], [])
    c = await engine.intake(sms())
    ladder = engine.protocol.escalation
    (first,) = await _steps(engine, c.id)
    assert first.id == f"esc:{c.id}:0" and first.step == 0
    assert first.due == c.received_at + ladder[0].after
    assert first.notify == list(ladder[0].notify) and first.via == list(ladder[0].via)
    assert [(r.step, r.after, r.notify) for r in first.then] == [
        (i, s.after, list(s.notify)) for i, s in enumerate(ladder) if i > 0
    ]


async def test_each_step_arms_the_next_when_it_fires(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, [], [])  # nobody on call: the contact climbs the whole ladder
    c = await engine.intake(sms())
    ladder = engine.protocol.escalation
    for i, step in enumerate(ladder):
        elapsed = (clock.now() - c.received_at).total_seconds()
        await advance(engine, clock, step.after.total_seconds() - elapsed, step=30)
        got = await engine.get_contact(c.id)
        assert got.ladder_step == i + 1
        armed = await _steps(engine, c.id)
        if i + 1 < len(ladder):
            (nxt,) = armed
            assert nxt.step == i + 1 and nxt.due == c.received_at + ladder[i + 1].after
        else:
            assert armed == []
    escalated = [e for e in got.timeline if e.event == "escalated"]
    assert [e.at - c.received_at for e in escalated] == [s.after for s in ladder]


async def test_a_protocol_activated_meanwhile_leaves_the_open_contact_on_its_ladder(
    engine: Engine, clock: VirtualClock
) -> None:
    await staff(engine, [], [])
    c = await engine.intake(sms())
    old = engine.protocol.escalation
    engine.protocol = engine.protocol.model_copy(
        update={"escalation": [EscalationStep(after=timedelta(minutes=1), notify=["all_on_call"])]}
    )
    await advance(engine, clock, old[1].after.total_seconds(), step=30)
    got = await engine.get_contact(c.id)
    escalated = [e for e in got.timeline if e.event == "escalated"]
    climbed = [(e.at - c.received_at, (e.model_extra or {})["notify"]) for e in escalated]
    assert climbed == [(s.after, list(s.notify)) for s in old[:2]]


async def test_answering_disarms_the_one_step_armed(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"], [])
    await engine.set_presence("ana", "away")
    c = await engine.intake(sms())
    await advance(engine, clock, engine.protocol.escalation[0].after.total_seconds() + 1, step=30)
    assert [t.step for t in await _steps(engine, c.id)] == [1]
    await engine.set_presence("ana", "available")
    (offer,) = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    await engine.send_message(c.id, "I am here", "ana")
    assert await _steps(engine, c.id) == []
    await advance(engine, clock, 20 * 60, step=60)
    got = await engine.get_contact(c.id)
    assert got.ladder_step == 1 and not got.breached


async def test_a_step_armed_whole_by_an_earlier_release_still_climbs(
    engine: Engine, clock: VirtualClock
) -> None:
    """Contacts taken in before this release hold every step's timer, none carrying the next."""
    await staff(engine, [], [])
    c = await engine.intake(sms())
    (first,) = await _steps(engine, c.id)
    await engine.store.complete(first.id)
    ladder = engine.protocol.escalation
    await engine.store.arm(
        [
            Timer(
                id=f"esc:{c.id}:{i}",
                kind=TimerKind.escalate,
                due=c.received_at + s.after,
                contact_id=c.id,
                step=i,
                notify=list(s.notify),
                via=list(s.via),
            )
            for i, s in enumerate(ladder)
        ]
    )
    await advance(engine, clock, ladder[-1].after.total_seconds(), step=30)
    got = await engine.get_contact(c.id)
    assert got.ladder_step == len(ladder) and await _steps(engine, c.id) == []
