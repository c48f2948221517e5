"""A responder who declined (or let an offer lapse) is offered that contact again when their
cooldown ends: a pass then runs because a redispatch timer falls due. One armed by this instance
and still to come covers every cooldown ending after it — the pass it runs arms the next — so a
decline or an offer timing out within it writes no timer of its own."""

from __future__ import annotations

from typing import Any

import pytest

from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus
from router.timer_models import Timer, TimerKind
from tests.router.helpers import advance, pending_for, sms, staff


async def redispatches(engine: Engine) -> list[str]:
    return [t.id for t in await engine.store.timers() if t.kind == TimerKind.redispatch]


def arming(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The redispatch timers this instance writes from now on."""
    armed: list[str] = []
    real = engine.store.arm

    async def arm(timers: list[Timer]) -> Any:
        armed.extend(t.id for t in timers if t.kind == TimerKind.redispatch)
        return await real(timers)

    monkeypatch.setattr(engine.store, "arm", arm)
    return armed


async def test_declines_within_one_cooldown_write_one_timer_and_each_is_offered_again_in_time(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana"], capacity={"sms": 5})
    a = await engine.intake(sms(sender="+15550000001"))
    b = await engine.intake(sms(sender="+15550000002"))
    first, second = await pending_for(engine, "ana")
    cooldown = engine.protocol.offer_timeout.total_seconds()
    armed = arming(engine, monkeypatch)
    await engine.decline(first, "ana")
    assert len(armed) == 1 and len(await redispatches(engine)) == 1
    await advance(engine, clock, 10, step=10)
    await engine.decline(second, "ana")
    assert len(armed) == 1, "the first cooldown's timer covers the second: nothing written for it"
    # Each is offered again when its own cooldown ends, not before.
    await advance(engine, clock, cooldown - 10 - 1, step=1)
    assert (await engine.get_contact(a.id)).status == ContactStatus.queued
    await advance(engine, clock, 1, step=1)
    assert (await engine.get_contact(a.id)).status == ContactStatus.offered
    assert (await engine.get_contact(b.id)).status == ContactStatus.queued
    await advance(engine, clock, 10, step=1)
    assert (await engine.get_contact(b.id)).status == ContactStatus.offered
    assert await redispatches(engine) == [] and len(armed) == 2  # the second armed by the first's pass
