"""The store contract for timers fired on a guess (router/timers.py): a write guarded on its timer
still being due and unclaimed (or leased by the claim sent just before it), and the claim with
the guessed writes after it in one round trip."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from redis.asyncio.cluster import RedisCluster

from router.models import Contact
from router.store import Conflict, RedisStore, Store, Transition
from router.store.wire import SENDERS
from router.timer_models import Timer, TimerKind
from tests.conftest import START
from tests.contract.test_store_batches import _counting
from tests.contract.test_store_contract import contact, ev, intake

LEASE_S = 30.0
DUE = START + timedelta(seconds=10)


def escalation(cid: str, due: datetime = DUE) -> Timer:
    return Timer(id=f"esc:{cid}", kind=TimerKind.escalate, due=due, contact_id=cid)


def escalated(c: Contact, now: datetime, arm: list[Timer] | None = None) -> Transition:
    """The escalation's write as a guess makes it: the timer disarmed, guarded on being due."""
    return Transition(
        contact=c.model_copy(update={"escalation_level": c.escalation_level + 1}),
        expect_rev=c.rev,
        disarm=[f"esc:{c.id}"],
        arm=arm or [],
        events=[ev("escalated", c.id)],
        expect_due=(f"esc:{c.id}", now, now + timedelta(seconds=LEASE_S)),
    )


async def test_a_guess_writes_only_while_its_timer_is_due_and_nobody_claimed_it(store: Store) -> None:
    a = await intake(store, contact("a"), 1, [escalation("a")])
    early = await store.apply_many([escalated(a, DUE - timedelta(seconds=1))])
    assert isinstance(early[0], Conflict) and early[0].reason == "timer"
    # Another instance claimed it a second after it fell due: leased, not ours to fire.
    claim = await store.claim_batch(DUE + timedelta(seconds=1), LEASE_S, 10)
    assert [t.id for t in claim.timers] == ["esc:a"]
    taken = await store.apply_many([escalated(a, DUE + timedelta(seconds=2))])
    assert isinstance(taken[0], Conflict) and taken[0].reason == "timer"
    got = await store.get_contact("a")
    assert got is not None and got.rev == a.rev and got.escalation_level == 0  # nothing written

    b = await intake(store, contact("b", 2), 2, [escalation("b")])
    [written] = await store.apply_many([escalated(b, DUE)])
    assert isinstance(written, Contact) and written.escalation_level == 1
    # Fired once: disarmed by its own write, so a second guess on it is refused.
    again = await store.apply_many([escalated(written, DUE)])
    assert isinstance(again[0], Conflict) and again[0].reason == "timer"
    assert (await store.claim_batch(DUE, LEASE_S, 10)).timers == []


async def test_the_claim_goes_first_and_leaves_the_guess_its_timer(store: Store) -> None:
    a = await intake(store, contact("a"), 1, [escalation("a")])
    b = await intake(store, contact("b", 2), 2, [escalation("b")])
    later = DUE + timedelta(minutes=5)
    # The next rung armed by the guessed write falls due before the claim's time: not in it.
    rung = Timer(id="esc2:a", kind=TimerKind.escalate, due=DUE, contact_id="a")
    now = later
    claim, [written] = await store.claim_and_apply(now, LEASE_S, 10, [escalated(a, now, [rung])])
    assert sorted(t.id for t in claim.timers) == ["esc:a", "esc:b"]  # the guessed one leased too
    assert set(claim.contacts) == {"a", "b"} and claim.contacts["a"].rev == a.rev  # read before
    assert isinstance(written, Contact) and written.escalation_level == 1
    assert claim.next_due is not None and claim.next_due > now  # what was left: both leased
    following = await store.claim_batch(now, LEASE_S, 10)
    assert [t.id for t in following.timers] == ["esc2:a"]
    stored = await store.get_contact("b")
    assert stored is not None and stored.rev == b.rev


async def test_a_refused_guess_is_in_the_claim_for_its_caller_to_fire(store: Store) -> None:
    a = await intake(store, contact("a"), 1, [escalation("a")])
    moved = await store.apply(Transition(contact=a.model_copy(update={"notes": "x"}), expect_rev=a.rev))
    claim, [refused] = await store.claim_and_apply(DUE, LEASE_S, 10, [escalated(a, DUE)])
    assert isinstance(refused, Conflict) and refused.reason == "stale"
    assert [t.id for t in claim.timers] == ["esc:a"] and claim.contacts["a"].rev == moved.rev


async def test_claim_and_apply_is_one_round_trip(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    a = await intake(store, contact("a"), 1, [escalation("a")])
    await store.claim_batch(START, LEASE_S, 10)  # Redis learns the claim script (not counted)
    sent = [0]
    for cls in SENDERS:
        monkeypatch.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))
    claim, [written] = await store.claim_and_apply(DUE, LEASE_S, 10, [escalated(a, DUE)])
    assert isinstance(written, Contact) and [t.id for t in claim.timers] == ["esc:a"]
    assert sent[0] == 1
