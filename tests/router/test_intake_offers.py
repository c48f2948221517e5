"""Intake offers a new contact in its own write when nobody waits ahead and someone free suits
it: one read and one write for the lot, with the same events as intake then a pass."""

from __future__ import annotations

from typing import Any

import pytest

from protocols import default_protocol
from router import intake
from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus
from router.store import DispatchState, IntakeState, MemoryStore, RedisStore, Transition
from tests.conftest import counter_ids
from tests.router.helpers import events_of, pending_for, sms, staff


async def test_a_new_contact_is_offered_in_intakes_own_write(engine: Engine) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    assert c.status == ContactStatus.queued  # the API's answer: as received
    stored = await engine.get_contact(c.id)
    assert stored.status == ContactStatus.offered and stored.rev == 1, "one write, not two"
    assert await events_of(engine, c) == ["received", "offered"]
    assert await pending_for(engine, "ana") == ["o_0001"]
    assert await engine.store.ready_queue() == []
    streamed = [(e.event, e.status) for _, e in await engine.store.read_events() if e.contact_id == c.id]
    assert streamed == [("received", "queued"), ("offered", "offered")]


async def test_with_someone_waiting_a_new_contact_is_queued_first(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"], languages=["en"])
    waiting = await engine.intake(sms(sender="+15550000001", language="fr"))  # nobody speaks it
    c = await engine.intake(sms(sender="+15550000002"))
    assert (await engine.get_contact(waiting.id)).status == ContactStatus.queued
    stored = await engine.get_contact(c.id)
    # Offered by the pass after it was queued (two writes), not in intake's own.
    assert stored.status == ContactStatus.offered and stored.rev == 2


class QueuedMeanwhile(MemoryStore):
    """Another instance queues a contact between intake's read and its write."""

    sneak: Transition | None = None

    async def intake_state(
        self, sender_keys: list[str], known: DispatchState | None = None, dispatch: bool = False
    ) -> IntakeState:
        state = await super().intake_state(sender_keys, known, dispatch)
        if self.sneak is not None:
            await self.apply(self.sneak)
            self.sneak = None
        return state


async def test_a_contact_queued_meanwhile_is_served_first(clock: VirtualClock) -> None:
    store = QueuedMeanwhile()
    engine = Engine(store, clock, default_protocol(), id_factory=counter_ids())
    await staff(engine, ["ana"])
    now = clock.now()
    ahead = intake.build(sms(sender="+15550000009"), engine.protocol, now, "c_ahead", 0, None, "k-ahead", [])
    store.sneak = ahead.transition
    c = await engine.intake(sms(sender="+15550000001"))
    # The guard refused the offer in intake's write: queued, then a pass served the queue in order.
    # (o_0001 was the refused write's: ids are never reused.)
    assert (await engine.get_contact("c_ahead")).offer_ids == ["o_0002"]
    stored = await engine.get_contact(c.id)
    assert stored.rev == 2 and stored.offer_ids == ["o_0003"]


async def test_intakes_here_carry_the_held_state_so_their_reads_bring_at_most_their_own_step(
    engine: Engine,
) -> None:
    if not isinstance(engine.store, RedisStore):
        pytest.skip("the memory store's reads cost nothing to carry")
    store = engine.store
    await staff(engine, ["ana", "ben"], capacity={"sms": 5})
    # read_view.lua's answer: 0 unchanged, 1-2 read whole, 3 steps since (and how many).
    changes: list[tuple[int, int]] = []
    parse = store._view_parse

    def counted(reply: Any, *args: Any, **kwargs: Any) -> Any:
        changes.append((reply[3], len(reply[4]) if reply[3] == 3 else 0))
        return parse(reply, *args, **kwargs)

    store._view_parse = counted  # type: ignore[method-assign]
    await engine.intake(sms(sender="+15550000001"))
    changes.clear()
    for i in range(2, 7):
        c = await engine.intake(sms(sender=f"+1555000000{i}"))
        assert (await engine.get_contact(c.id)).status == ContactStatus.offered
    # Each intake is one round trip: its write (offering at once) and, after it, its read, which
    # brings back only the step that write made to the state this instance held before it — or,
    # within REFRESH_S of the last such read, none of the state at all (the roster head, the
    # queue's length and the arrivals: the held state goes forward by the write's own step).
    assert len(changes) == 5 and set(changes) <= {(0, 0), (3, 1)}, changes
    held = engine._held()
    assert held is not None
    whole = await store.dispatch_state()
    assert (held.version, held.loads, held.idle) == (whole.version, whole.loads, whole.idle)
