"""Two instances on one Redis, each deciding on what it last saw (intake's guesses, the contacts it
knows, its held dispatch state), random operations through either: whatever one instance
guessed wrong because the other changed things, nothing is ever held without a reason, offered
twice or left without its breach timer, and every contact taken in is still there."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import RouterError
from router.models import Contact, ContactIn, ContactStatus
from router.notify import LogNotifier
from router.store import RedisStore
from router.timers import TimerRunner
from tests.conftest import START
from tests.contract.test_differential import (
    BODIES,
    MACHINE_RUNS,
    OnRedis,
    Side,
    nothing_held_without_a_reason,
)
from tests.redis_server import RedisServer

instance = st.integers(0, 1)


class TwoInstances(OnRedis):
    def __init__(self) -> None:
        super().__init__()
        client = self.client
        self.clock = VirtualClock(START)
        self.engines = [
            Engine(RedisStore(client, "two"), self.clock, default_protocol(), notifier=LogNotifier())
            for _ in range(2)
        ]
        self.runners = [TimerRunner(e, parallel=1) for e in self.engines]
        # The roster and responders, published through the first (Side's setup, on its engine).
        side = Side(self.engines[0].store)
        side.engine, side.clock = self.engines[0], self.clock
        self.loop.run_until_complete(side.setup())
        self.taken: set[str] = set()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.engines[0].store.close())
        self.loop.close()

    def run(self, op: Any) -> Any:
        try:
            return self.loop.run_until_complete(op)
        except RouterError:
            return None  # refused (a race lost, a state that does not allow it): said, not broken

    def pick(self, k: int, statuses: set[ContactStatus], n: int) -> Contact | None:
        store = self.engines[k].store
        contacts = self.loop.run_until_complete(
            store.get_contacts(self.loop.run_until_complete(store.open_contacts()))
        )
        chosen = [c for c in contacts if c.status in statuses]
        return chosen[n % len(chosen)] if chosen else None

    @rule(
        k=instance,
        channel=st.sampled_from(["sms", "chat", "voice"]),
        body=st.sampled_from(BODIES),
        who=st.integers(0, 5),
    )
    def intake(self, k: int, channel: str, body: str, who: int) -> None:
        incoming = ContactIn.model_validate({"channel": channel, "from": f"+1555000{who:04d}", "body": body})
        c = self.run(self.engines[k].intake(incoming))
        if c is not None:
            self.taken.add(c.id)

    @rule(
        k=instance, rid=st.sampled_from(["ana", "ben", "cy"]), status=st.sampled_from(["available", "away"])
    )
    def presence(self, k: int, rid: str, status: str) -> None:
        self.run(self.engines[k].set_presence(rid, status))  # type: ignore[arg-type]

    @rule(k=instance, n=st.integers(0, 10), accept=st.booleans())
    def resolve_offer(self, k: int, n: int, accept: bool) -> None:
        engine = self.engines[k]
        offers = self.loop.run_until_complete(engine.offers_for(None, "pending"))
        if offers:
            oid = offers[n % len(offers)].id
            self.run(engine.accept(oid) if accept else engine.decline(oid))

    @rule(k=instance, n=st.integers(0, 10))
    def reply(self, k: int, n: int) -> None:
        c = self.pick(k, {ContactStatus.assigned, ContactStatus.answered}, n)
        if c is not None and c.responder is not None:
            engine = self.engines[k]
            self.run(
                engine.answered(c.id)
                if c.channel == "voice"
                else engine.send_message(c.id, "here", c.responder)
            )

    @rule(k=instance, n=st.integers(0, 10))
    def message_in(self, k: int, n: int) -> None:
        c = self.pick(
            k,
            {ContactStatus.queued, ContactStatus.offered, ContactStatus.assigned, ContactStatus.answered},
            n,
        )
        if c is not None and c.channel != "voice":
            self.run(self.engines[k].receive_message(c.id, "still there?"))

    @rule(k=instance, n=st.integers(0, 10))
    def close(self, k: int, n: int) -> None:
        c = self.pick(k, {ContactStatus.answered, ContactStatus.assigned, ContactStatus.queued}, n)
        if c is not None:
            self.run(self.engines[k].close(c.id, "support_given", None, "t"))

    @rule(k=instance, n=st.integers(0, 10))
    def abandon(self, k: int, n: int) -> None:
        c = self.pick(k, {ContactStatus.queued, ContactStatus.offered, ContactStatus.answered}, n)
        if c is not None:
            self.run(self.engines[k].abandon(c.id))

    @rule(k=instance, seconds=st.sampled_from([1, 10, 30, 61, 300]))
    def wait(self, k: int, seconds: int) -> None:
        self.loop.run_until_complete(self.clock.advance(seconds))
        self.loop.run_until_complete(self.runners[k].fire_due())

    @invariant()
    def nothing_held_without_a_reason(self) -> None:
        self.loop.run_until_complete(nothing_held_without_a_reason(self.engines[0].store))

    @invariant()
    def nothing_taken_in_is_lost(self) -> None:
        store = self.engines[1].store
        found = {c.id for c in self.loop.run_until_complete(store.get_contacts(sorted(self.taken)))}
        assert found == self.taken


def test_two_instances_never_break_what_one_keeps(redis_srv: RedisServer) -> None:
    TwoInstances.redis_url = redis_srv.url
    run_state_machine_as_test(TwoInstances, settings=MACHINE_RUNS)
