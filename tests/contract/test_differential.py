"""Random operation sequences through the engine on MemoryStore and RedisStore give identical results."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import RouterError
from router.models import Contact, ContactIn, ContactStatus, Responder
from router.notify import LogNotifier
from router.store import MemoryStore, RedisStore, Store
from router.timers import TimerRunner
from schedules import Roster, Shift
from tests.conftest import START, counter_ids
from tests.redis_server import RedisServer

PEOPLE = {"ana": "primary", "ben": "primary", "cy": "backup", "sue": "supervisor"}
BODIES = ["hello", "he has a gun", "necesito ayuda", "they took my passport"]


class Side:
    """One engine on one store, with its own virtual clock."""

    def __init__(self, store: Store) -> None:
        self.clock = VirtualClock(START)
        self.store = store
        self.engine = Engine(
            store, self.clock, default_protocol(), notifier=LogNotifier(), id_factory=counter_ids()
        )
        # One contact's timers at a time: with real I/O, concurrent firing interleaves events
        # in another (equally valid) order, and this test compares the order too.
        self.runner = TimerRunner(self.engine, parallel=1)

    async def setup(self) -> None:
        shifts = []
        for rid, role in PEOPLE.items():
            await self.engine.put_responder(
                Responder(
                    id=rid, name=rid, languages=["en", "es"], capacity={"sms": 2, "chat": 1, "voice": 1}
                )
            )
            shifts.append(
                Shift(
                    responder=rid,
                    role=role,
                    start=START,
                    end=START + timedelta(days=1),
                )
            )
        end = START + timedelta(days=1)
        await self.engine.rosters.put_draft("main", Roster(shifts=shifts), START, end)
        await self.engine.rosters.publish("main", START, end, False, "t")

    async def state(self) -> dict[str, Any]:
        s = self.store
        contacts = await s.get_contacts(await s.open_contacts())
        return {
            "contacts": [c.model_dump(mode="json") for c in contacts],
            "queue": await s.ready_queue(),
            "offers": [o.model_dump(mode="json") for o in await s.pending_offers()],
            "loads": sorted((await s.loads()).items()),
            "presence": sorted((await s.presence()).items()),
            "timers": sorted((t.id, t.due.isoformat()) for t in await s.timers()),
            "events": [e.model_dump(mode="json") for _, e in await s.read_events(count=100_000)],
        }


class OnRedis(RuleBasedStateMachine):
    """A state machine on an event loop of its own and an emptied Redis at `redis_url`."""

    redis_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.client = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        self.loop.run_until_complete(self.client.flushdb())


class Differential(OnRedis):
    def __init__(self) -> None:
        super().__init__()
        self.sides = [Side(MemoryStore("d")), Side(RedisStore(self.client, "d"))]
        for side in self.sides:
            self.loop.run_until_complete(side.setup())

    def teardown(self) -> None:
        for side in self.sides:
            self.loop.run_until_complete(side.store.close())
        self.loop.close()

    def both(self, op: Any) -> Any:
        """Run op on each side; results (or error types) must match."""
        results = []
        for side in self.sides:
            try:
                results.append(("ok", self.loop.run_until_complete(op(side))))
            except RouterError as exc:
                results.append(("error", type(exc).__name__))
        assert results[0] == results[1], results
        return results[0]

    @staticmethod
    async def pick(side: Side, statuses: set[ContactStatus], n: int) -> Contact | None:
        contacts = await side.store.get_contacts(await side.store.open_contacts())
        chosen = [c for c in contacts if c.status in statuses]
        return chosen[n % len(chosen)] if chosen else None

    @rule(
        channel=st.sampled_from(["sms", "chat", "voice"]),
        body=st.sampled_from(BODIES),
        lang=st.sampled_from([None, "en", "es"]),
        who=st.integers(0, 5),
    )
    def intake(self, channel: str, body: str, lang: str | None, who: int) -> None:
        incoming = ContactIn.model_validate(
            {"channel": channel, "from": f"+1555000{who:04d}", "body": body, "language": lang}
        )

        async def op(side: Side) -> str:
            return (await side.engine.intake(incoming)).id

        self.both(op)

    @rule(rid=st.sampled_from(sorted(PEOPLE)), status=st.sampled_from(["available", "away", "offline"]))
    def presence(self, rid: str, status: str) -> None:
        async def op(side: Side) -> None:
            await side.engine.set_presence(rid, status)  # type: ignore[arg-type]

        self.both(op)

    @rule(n=st.integers(0, 10), accept=st.booleans())
    def resolve_offer(self, n: int, accept: bool) -> None:
        async def op(side: Side) -> str | None:
            offers = await side.engine.offers_for(None, None)
            if not offers:
                return None
            oid = offers[n % len(offers)].id
            c = await (side.engine.accept(oid) if accept else side.engine.decline(oid))
            return c.status.value

        self.both(op)

    @rule(n=st.integers(0, 10))
    def reply(self, n: int) -> None:
        async def op(side: Side) -> str | None:
            c = await self.pick(side, {ContactStatus.assigned, ContactStatus.answered}, n)
            if c is None or c.responder is None:
                return None
            if c.channel == "voice":
                return (await side.engine.answered(c.id)).status.value
            return (await side.engine.send_message(c.id, "I'm here", c.responder)).status.value

        self.both(op)

    @rule(n=st.integers(0, 10), disposition=st.sampled_from(["support_given", "referral", "bogus"]))
    def close(self, n: int, disposition: str) -> None:
        async def op(side: Side) -> str | None:
            c = await self.pick(
                side, {ContactStatus.answered, ContactStatus.assigned, ContactStatus.queued}, n
            )
            if c is None:
                return None
            return (await side.engine.close(c.id, disposition, None, "t")).status.value

        self.both(op)

    @rule(n=st.integers(0, 10))
    def abandon(self, n: int) -> None:
        async def op(side: Side) -> str | None:
            c = await self.pick(
                side, {ContactStatus.queued, ContactStatus.offered, ContactStatus.answered}, n
            )
            if c is None:
                return None
            return (await side.engine.abandon(c.id)).status.value

        self.both(op)

    @rule(seconds=st.sampled_from([1, 10, 30, 61, 300, 1200]))
    def wait(self, seconds: int) -> None:
        async def op(side: Side) -> int:
            await side.clock.advance(seconds)
            return await side.runner.fire_due()

        self.both(op)

    @invariant()
    def same_state(self) -> None:
        states = [self.loop.run_until_complete(side.state()) for side in self.sides]
        assert states[0] == states[1]

    @invariant()
    def nothing_held_without_a_reason(self) -> None:
        self.loop.run_until_complete(nothing_held_without_a_reason(self.sides[0].store))


async def nothing_held_without_a_reason(store: Store) -> None:
    """Every load is an offer pending or a contact assigned or answered; every offered contact's
    offers are pending; every unanswered contact not yet breached still has its breach timer."""
    contacts = await store.get_contacts(await store.open_contacts())
    held: dict[tuple[str, str], int] = {}
    timers = {t.id for t in await store.timers()}
    for c in contacts:
        holders = [c.responder] if c.status in (ContactStatus.assigned, ContactStatus.answered) else []
        if c.status == ContactStatus.offered:
            assert c.offer_ids
            for oid in c.offer_ids:
                offer = await store.get_offer(oid)
                assert offer is not None and offer.status == "pending"
                holders.append(offer.responder)
        for holder in holders:
            if holder:
                held[(holder, c.channel)] = held.get((holder, c.channel), 0) + 1
        if c.is_unanswered and not c.breached:
            assert f"breach:{c.id}" in timers
    assert await store.loads() == held


# Each run of a state machine here: 25 sequences of 30 steps, real I/O (no deadline).
MACHINE_RUNS = settings(
    max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_memory_and_redis_agree(redis_srv: RedisServer) -> None:
    Differential.redis_url = redis_srv.url
    run_state_machine_as_test(Differential, settings=MACHINE_RUNS)
