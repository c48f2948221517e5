"""Group commit (router/store/grouped.py): callers that find a round trip on the wire share the next."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from router.models import Contact
from router.store import Conflict, RedisStore, Store, StoreUnavailable, Transition
from router.store.grouped import GroupCommit
from router.store.wire import SENDERS
from tests.contract.test_store_batches import _counting
from tests.contract.test_store_contract import contact, ev, intake


async def test_concurrent_callers_share_a_round_trip_each_with_its_own_outcome(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(store, RedisStore) or isinstance(store.redis, RedisCluster):
        pytest.skip("scripts are Redis's; a cluster pipeline sends each call on its own")
    written = [await intake(store, contact(f"c{i}", i + 1), i + 1) for i in range(20)]
    sent = [0]
    for cls in SENDERS:  # every round trip passes through one of these
        monkeypatch.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))

    def escalate(c: Contact, stale: bool) -> Transition:
        raised = c.model_copy(update={"escalation_level": 1})
        return Transition(
            contact=raised, expect_rev=c.rev + (5 if stale else 0), events=[ev("escalated", c.id)]
        )

    # Twenty requests at once, as a busy instance has them; the eighth's guard is stale.
    results = await asyncio.gather(*(store.apply_many([escalate(c, i == 7)]) for i, c in enumerate(written)))
    assert sent[0] == 2, "the first goes alone; the nineteen that came while it was out share the next"
    for i, (c, [outcome]) in enumerate(zip(written, results, strict=True)):
        if i == 7:
            assert isinstance(outcome, Conflict) and outcome.reason == "stale"
        else:
            assert isinstance(outcome, Contact) and outcome.rev == c.rev + 1
    kept = await store.get_contact("c7")
    assert kept is not None and kept.escalation_level == 0 and kept.rev == written[7].rev
    raised = await store.get_contact("c8")
    assert raised is not None and raised.escalation_level == 1
    escalated = [str(e.contact_id) for _, e in await store.read_events() if e.event == "escalated"]
    assert sorted(escalated) == sorted(c.id for i, c in enumerate(written) if i != 7)
    # Nothing is left waiting: a lone call afterwards goes at once, in a round trip of its own.
    again = await store.get_contact("c0")
    assert again is not None
    before = sent[0]
    await store.apply_many([escalate(again, False)])
    assert sent[0] == before + 1


async def test_a_failed_round_trip_is_every_caller_in_it_and_nothing_stays_waiting() -> None:
    with socket.socket() as s:  # a port nothing listens on: Redis is gone
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Without the retries every connection gets (seconds of backoff), the outage is seen at once.
    client = aioredis.Redis(port=port, decode_responses=True, retry=Retry(NoBackoff(), retries=0))
    store = RedisStore(client, "t")
    ts = [Transition(contact=contact(f"c{i}", i + 1), expect_rev=None) for i in range(5)]
    try:
        outcomes = await asyncio.gather(*(store.apply_many([t]) for t in ts), return_exceptions=True)
        assert all(isinstance(o, StoreUnavailable) for o in outcomes), outcomes
        # Every caller heard, and nothing is left waiting behind the failed trips.
        assert store._grouped._busy is None and not store._grouped._waiting
        assert (store._grouped.trips, store._grouped.joined) == (2, 3)
    finally:
        await store.close()


class Sender:
    """Replies "<call>!" to each call, or the call's own error for a call named "bad"; the whole
    round trip fails while `down`. Each round trip waits for `go`, so callers can gather."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []
        self.go = asyncio.Event()
        self.down = False

    async def __call__(self, calls: Sequence[str]) -> list[Any]:
        self.trips.append(list(calls))
        await self.go.wait()
        if self.down:
            raise ConnectionError("gone")
        return [ValueError(c) if c == "bad" else f"{c}!" for c in calls]


async def test_grouped_replies_are_each_callers_own() -> None:
    send = Sender()
    group = GroupCommit[str](send)
    first = asyncio.create_task(group.run(["a"]))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(group.run(calls)) for calls in (["b", "c"], ["bad"], ["d"])]
    await asyncio.sleep(0)
    send.go.set()
    assert await first == ["a!"]
    got = [await t for t in rest]
    assert got[0] == ["b!", "c!"] and got[2] == ["d!"]
    assert len(got[1]) == 1 and isinstance(got[1][0], ValueError)  # its own error, as its reply
    assert send.trips == [["a"], ["b", "c", "bad", "d"]]
    assert (group.trips, group.joined) == (2, 2)


async def test_a_failed_trip_fails_its_callers_only_and_a_cancelled_caller_sends_nothing() -> None:
    send = Sender()
    group = GroupCommit[str](send)
    first = asyncio.create_task(group.run(["a"]))
    await asyncio.sleep(0)
    b = asyncio.create_task(group.run(["b"]))
    gone = asyncio.create_task(group.run(["never"]))
    await asyncio.sleep(0)
    gone.cancel()
    send.down = True
    send.go.set()
    with pytest.raises(ConnectionError):
        await first
    with pytest.raises(ConnectionError):
        await b
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert send.trips == [["a"], ["b"]]
    send.down = False
    assert await group.run(["e"]) == ["e!"]  # nothing was left busy
    assert send.trips[-1] == ["e"]
