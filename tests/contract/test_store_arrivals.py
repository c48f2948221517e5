"""People's arrivals leave live state once no rule looks back to them: every backend forgets
those older than a bound, and only those, however many one-time senders have built up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from router.store import RedisStore, Store, Transition, redis_queues
from tests.conftest import START
from tests.contract.test_store_contract import contact, ev

LONG_AGO = START - timedelta(days=30)  # what each write drops of its own sender's arrivals: nothing here


async def arrive(store: Store, cid: str, seq: int, key: str, at: datetime) -> None:
    c = contact(cid, seq, sender_key=key)
    await store.apply(
        Transition(
            contact=c, expect_rev=None, enqueue_score=seq, arrival=(key, at, LONG_AGO), events=[ev("r", cid)]
        )
    )


async def test_arrivals_older_than_the_bound_are_forgotten(store: Store) -> None:
    recent = START + timedelta(days=2)
    await arrive(store, "a", 1, "k-once", START)
    await arrive(store, "b", 2, "k-back", START)
    await arrive(store, "c", 3, "k-back", recent)
    await arrive(store, "d", 4, "k-new", recent)
    assert await store.forget_arrivals(recent - timedelta(hours=1)) == 2
    assert await store.arrivals("k-once") == []
    assert await store.arrivals("k-back") == [recent]
    assert await store.arrivals("k-new") == [recent]
    assert await store.forget_arrivals(recent) == 0  # an arrival at the bound itself is kept
    assert (await store.intake_state(["k-back", "k-once"])).arrivals == [recent]


async def test_every_old_arrival_goes_however_many_there_are(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More than Redis keeps in a small sorted set's compact encoding, read a few pages at a time.
    monkeypatch.setattr(redis_queues, "ARRIVALS_PAGE", 40)
    for n in range(300):
        await arrive(store, f"o{n}", n + 1, f"k-{n:03d}", START + timedelta(seconds=n))
    bound = START + timedelta(seconds=250)
    assert await store.forget_arrivals(bound) == 250
    kept = [await store.arrivals(f"k-{n:03d}") for n in (0, 249, 250, 299)]
    assert kept == [[], [], [bound], [START + timedelta(seconds=299)]]
    assert await store.forget_arrivals(bound) == 0


async def test_a_member_of_another_shape_is_left_and_does_not_stop_the_pass(store: Store) -> None:
    if not isinstance(store, RedisStore):
        pytest.skip("only Redis keeps arrivals as text")
    await store.redis.zadd(store.k.arrivals, {"k-odd|not-a-time": 0, "k-odder": 0})
    await arrive(store, "a", 1, "k-once", START)
    assert await store.forget_arrivals(START + timedelta(hours=1)) == 1
    assert set(await store.redis.zrange(store.k.arrivals, 0, -1)) == {"k-odd|not-a-time", "k-odder"}
