"""Crash safety and concurrency with real processes: two instances, kill -9, a Redis restart."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from router.store import RedisStore
from simulations.bench._procs import Serve, read_events
from tests.redis_server import RedisServer, redis_server
from tests.router.processes import Start, eventually, kill_9

pytestmark = pytest.mark.slow
PEOPLE = ["ana", "ben", "cy", "dee"]


@pytest.fixture
async def aof_redis() -> AsyncIterator[RedisServer]:
    with redis_server(appendonly=True) as server:
        yield server


async def setup_hotline(inst: Serve) -> None:
    now = datetime.now(UTC)
    shifts = []
    for i, rid in enumerate(PEOPLE):
        status, _ = await inst.call(
            "PUT",
            f"/v1/responders/{rid}",
            {"name": rid, "capacity": {"sms": 2, "chat": 2, "voice": 1, "email": 2}},
        )
        assert status == 200
        shifts.append(
            {
                "responder": rid,
                "role": "primary" if i < 2 else "backup",
                "start": (now - timedelta(hours=1)).isoformat(),
                "end": (now + timedelta(hours=2)).isoformat(),
            }
        )
    status, _ = await inst.call("PUT", "/v1/rosters/main", {"timezone": "UTC", "shifts": shifts})
    assert status == 200
    status, body = await inst.call(
        "POST",
        "/v1/rosters/main/publish",
        {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=2)).isoformat()},
    )
    assert status == 200, body


def check_offers_exclusive(events: list[dict[str, object]]) -> dict[str, list[str]]:
    """Per contact: never two offers outstanding at once, never accepted twice."""
    outstanding: dict[str, int] = defaultdict(int)
    accepted: dict[str, int] = defaultdict(int)
    history: dict[str, list[str]] = defaultdict(list)
    for e in events:
        cid, name = str(e.get("contact_id")), str(e["event"])
        history[cid].append(name)
        if name == "offered":
            outstanding[cid] += 1
            assert outstanding[cid] == 1, (cid, history[cid])
        elif name in ("accepted", "declined", "offer_expired"):
            outstanding[cid] -= 1
            assert outstanding[cid] == 0, (cid, history[cid])
            accepted[cid] += name == "accepted"
            assert accepted[cid] <= 1, (cid, history[cid])
    return history


async def test_two_instances_never_double_offer_or_assign(redis_srv: RedisServer, start: Start) -> None:
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    a = await start(redis_srv.url)
    b = await start(redis_srv.url)
    await setup_hotline(a)
    rng = random.Random(4)

    async def intake(i: int) -> str:
        inst = a if i % 2 else b
        status, body = await inst.call(
            "POST", "/v1/contacts", {"channel": rng.choice(["sms", "chat"]), "from": f"+1555{i:07d}"}
        )
        assert status == 201, body
        return str(body["id"])

    ids = await asyncio.gather(*(intake(i) for i in range(40)))

    async def race_accepts() -> int:
        # both instances try to accept every pending offer at the same moment
        _, offers = await a.call("GET", "/v1/offers")
        results = await asyncio.gather(
            *(inst.call("POST", f"/v1/offers/{o['id']}/accept") for o in offers for inst in (a, b))
        )
        wins = [s for s, _ in results if s == 200]
        assert len(wins) <= len(offers)
        for s, body in results:
            assert s in (200, 409), body
        return len(wins)

    # Race every round of offers until responders are full (no new offer is made any more).
    accepted = 0
    for _ in range(12):
        won = await race_accepts()
        accepted += won
        if not won:
            break

        async def more_offers() -> bool:
            _, offers = await a.call("GET", "/v1/offers")
            return bool(offers)

        try:
            await eventually(more_offers, 3, "the next offers")
        except AssertionError:
            break  # everyone on call is at capacity
    assert accepted > 0
    history = check_offers_exclusive(await read_events(redis_srv.url))
    assert set(ids) <= set(history)
    for cid in ids:
        assert history[cid].count("received") == 1


async def test_kill_9_loses_no_contact_and_no_timer(redis_srv: RedisServer, start: Start) -> None:
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    a = await start(redis_srv.url)
    b = await start(redis_srv.url)
    await setup_hotline(a)
    ids = []
    for i in range(12):
        status, body = await a.call("POST", "/v1/contacts", {"channel": "sms", "from": f"+1666{i:07d}"})
        assert status == 201
        ids.append(body["id"])
    kill_9(a)
    # What a dying instance leaves behind: timers it had claimed, leased, and never fired.
    # Claim every timer due in the next 10 s as `a` would have; only the lease running out
    # lets `b` fire them.
    dead = RedisStore.from_url(redis_srv.url)
    leased = await dead.claim_due(datetime.now(UTC) + timedelta(seconds=10), lease_s=1.0)
    await dead.close()
    assert any(t.kind.value == "breach" for t in leased)
    answered: set[str] = set()
    for cid in ids[:4]:

        async def accepted(cid: str = cid) -> bool:
            _, offers = await b.call("GET", "/v1/offers")
            for o in offers:
                if o["contact_id"] == cid:
                    s, _ = await b.call("POST", f"/v1/offers/{o['id']}/accept")
                    if s == 200:
                        s, _ = await b.call("POST", f"/v1/contacts/{cid}/messages", {"body": "hi"})
                        return s == 200
            return False

        await eventually(accepted, 60, f"offer for {cid}")
        answered.add(cid)

    async def all_settled() -> bool:
        for cid in ids:
            _, c = await b.call("GET", f"/v1/contacts/{cid}")
            if not (c["answered_at"] or c["breached"]):
                return False
        return True

    await eventually(all_settled, 90, "every contact answered or breached")
    for cid in ids:
        _, c = await b.call("GET", f"/v1/contacts/{cid}")
        if cid in answered:
            assert c["status"] == "answered"
        else:
            assert c["breached"] is True and c["escalation_level"] >= 2
    check_offers_exclusive(await read_events(redis_srv.url))


async def test_redis_restart_with_aof_carries_on(aof_redis: RedisServer, start: Start) -> None:
    a = await start(aof_redis.url)
    await setup_hotline(a)
    status, body = await a.call("POST", "/v1/contacts", {"channel": "sms", "from": "+17770000001"})
    assert status == 201
    first = body["id"]
    aof_redis.stop()
    aof_redis.start()

    async def intake_works() -> str | None:
        try:
            status, body = await a.call("POST", "/v1/contacts", {"channel": "chat", "from": "v2"})
        except Exception:
            return None
        return str(body["id"]) if status == 201 else None

    second = await eventually(intake_works, 30, "intake after the Redis restart")

    async def both_breached() -> bool:
        for cid in (first, second):
            _, c = await a.call("GET", f"/v1/contacts/{cid}")
            if not c.get("breached"):
                return False
        return True

    await eventually(both_breached, 30, "breach timers firing after the restart")
