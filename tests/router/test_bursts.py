"""A burst on Redis (router/bursts.py): full batches of escalations fired overlapped, the next
batch claimed before this one's writes are sent; every escalation still written exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from router.clock import VirtualClock
from router.engine import Engine
from router.store import Conflict, RedisStore, TimerBatch
from router.timers import TimerRunner
from tests.router import trips
from tests.router.helpers import sms
from tests.router.trips import elsewhere

# The daytime clock and Redis only (tests/router/trips.py), as this module's fixtures.
clock = trips.clock
redis_only = trips.redis_only


async def burst(engine: Engine, clock: VirtualClock, n: int) -> list[str]:
    """n contacts taken in by another instance (this one knows none of them, as when a burst
    meets an instance that did not take them in), and the clock at their first escalation."""
    other = elsewhere(engine)
    ids = [(await other.intake(sms(sender=f"+1555000{i:04d}"))).id for i in range(n)]
    await clock.advance(engine.protocol.escalation[0].after.total_seconds())
    return ids


def calls(monkeypatch: pytest.MonkeyPatch, store: RedisStore) -> list[str]:
    """The order in which the timer loop's claims and batch writes are made."""
    made: list[str] = []
    claim, apply_many = store.claim_batch, store.apply_many

    async def claimed(*args: Any) -> TimerBatch:
        made.append("claim")
        return await claim(*args)

    async def applied(ts: Any) -> Any:
        made.append(f"write {len(ts)}")
        return await apply_many(ts)

    monkeypatch.setattr(store, "claim_batch", claimed)
    monkeypatch.setattr(store, "apply_many", applied)
    return made


async def escalated_once(engine: Engine, ids: list[str]) -> None:
    for cid in ids:
        stored = await engine.get_contact(cid)
        assert stored.escalation_level == 1
        assert [e.event for e in stored.timeline].count("escalated") == 1
    events = [e.contact_id for _, e in await engine.store.read_events() if e.event == "escalated"]
    assert sorted(str(c) for c in events) == sorted(ids)


async def test_full_batches_are_claimed_ahead_of_their_writes_and_each_fires_once(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await burst(engine, clock, 25)
    assert isinstance(engine.store, RedisStore)
    made = calls(monkeypatch, engine.store)
    runner = TimerRunner(engine, batch=10)
    assert await runner.fire_due() == 25
    # The second batch is claimed before the first's writes go (and decided while they run);
    # the third, not full, is fired the usual way once the second's writes are back.
    assert made == ["claim", "claim", "write 10", "claim", "write 10", "write 5"], made
    await escalated_once(engine, ids)
    assert runner.fired == 25 and runner.bursting()
    assert await runner.fire_due() == 0


async def test_a_contact_changed_before_its_write_is_escalated_once_on_a_fresh_read(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await burst(engine, clock, 20)
    runner = TimerRunner(engine, batch=10)
    plan = runner._plan_batch
    changed: list[str] = []

    async def planned_then_changed(timers: Any, claim: Any) -> Any:
        found = await plan(timers, claim)
        if not changed:  # another instance changes a contact of the first batch meanwhile
            changed.append(str(found[0][0][0].contact_id))
            await elsewhere(engine).receive_message(changed[0], "are you there?")
        return found

    monkeypatch.setattr(runner, "_plan_batch", planned_then_changed)
    assert isinstance(engine.store, RedisStore)
    apply_many = engine.store.apply_many
    refused: list[str] = []

    async def applied(ts: Any) -> Any:
        outcomes = await apply_many(ts)
        refused.extend(o.reason for o in outcomes if isinstance(o, Conflict))
        return outcomes

    monkeypatch.setattr(engine.store, "apply_many", applied)
    assert await runner.fire_due() == 20
    assert refused == ["stale"], "the batch's write for that contact was refused"
    await escalated_once(engine, ids)
    stored = await engine.get_contact(changed[0])
    assert stored.messages[-1].body == "are you there?"
