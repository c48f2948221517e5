"""Tokens for named people: issued with an expiry, listed without secrets, revoked at once on
every instance (read from the store on each request), expired on the clock."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from router import cli_admin, tokens
from router.clock import VirtualClock
from router.models import TokenRecord
from router.service import StartupError
from router.settings import Settings
from router.store import RedisStore, Store
from tests.redis_server import RedisServer
from tests.router.api_client import api
from tests.router.processes import Start


async def test_issue_list_and_revoke(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        made = await a.ok("POST", "/v1/tokens", {"role": "manager", "person": "Maria Lopez"}, status=201)
        assert made["id"].startswith("tok_") and made["token"].startswith("sn_")
        assert made["person"] == "Maria Lopez" and made["role"] == "manager"
        assert made["expires_at"] == (clock.now() + timedelta(days=90)).isoformat()
        assert (await a.call("GET", "/v1/queue", token=made["token"]))[0] == 200

        listed = await a.ok("GET", "/v1/tokens")
        assert [t["id"] for t in listed] == [made["id"]] and listed[0]["active"] is True
        assert listed[0]["created_by"] == tokens.BOOTSTRAP_PERSON
        assert made["token"] not in str(listed) and tokens.hash_token(made["token"]) not in str(listed)

        gone = await a.ok("DELETE", f"/v1/tokens/{made['id']}")
        assert gone["revoked_by"] == tokens.BOOTSTRAP_PERSON and gone["active"] is False
        status, body = await a.call("GET", "/v1/queue", token=made["token"])
        assert status == 401 and body["error"]["code"] == "unauthenticated"
        assert (await a.ok("GET", "/v1/tokens"))[0]["active"] is False
        assert (await a.call("DELETE", "/v1/tokens/tok_0000000000000000"))[0] == 404
        assert (await a.call("DELETE", "/v1/tokens/nonsense"))[0] == 422


async def test_a_token_names_its_person_and_a_bounded_lifetime(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        status, body = await a.call("POST", "/v1/tokens", {"role": "manager"})
        assert status == 422 and ["person"] in [d["loc"] for d in body["error"]["details"]]
        status, body = await a.call(
            "POST", "/v1/tokens", {"role": "manager", "person": "x", "expires_in_s": 10**9}
        )
        assert status == 422 and ["expires_in_s"] in [d["loc"] for d in body["error"]["details"]]
        assert await a.ok("GET", "/v1/tokens") == []  # nothing issued by refused requests
        manager = (await a.ok("POST", "/v1/tokens", {"role": "manager", "person": "mia"}))["token"]
        status, _ = await a.call("POST", "/v1/tokens", {"role": "admin", "person": "eve"}, token=manager)
        assert status == 403
        assert (await a.call("GET", "/v1/tokens", token=manager))[0] == 403


async def test_a_token_expires_on_the_clock(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        made = await a.ok("POST", "/v1/tokens", {"role": "scheduler", "person": "sam", "expires_in_s": 3600})
        await clock.advance(3599)
        assert (await a.call("GET", "/v1/responders", token=made["token"]))[0] == 200
        await clock.advance(1)
        assert (await a.call("GET", "/v1/responders", token=made["token"]))[0] == 401
        assert (await a.ok("GET", "/v1/tokens"))[0]["active"] is False


async def test_revocation_holds_at_once_on_another_instance(
    redis_srv: RedisServer, clock: VirtualClock
) -> None:
    clients = [aioredis.Redis.from_url(redis_srv.url, decode_responses=True) for _ in range(2)]
    await clients[0].flushdb()
    one, two = RedisStore(clients[0], "t"), RedisStore(clients[1], "t")
    try:
        async with api(one, clock) as a, api(two, clock) as b:
            made = await a.ok("POST", "/v1/tokens", {"role": "manager", "person": "mia"})
            assert (await b.call("GET", "/v1/queue", token=made["token"]))[0] == 200
            await a.ok("DELETE", f"/v1/tokens/{made['id']}")
            assert (await b.call("GET", "/v1/queue", token=made["token"]))[0] == 401
            assert [t["active"] for t in await b.ok("GET", "/v1/tokens")] == [False]
    finally:
        await one.close()
        await two.close()


async def test_concurrent_issues_keep_every_id_listed(store: Store, clock: VirtualClock) -> None:
    made = await asyncio.gather(
        *(tokens.issue(store, role="manager", person=f"p{i}", now=clock.now(), by="t") for i in range(5))
    )
    assert sorted(r.id or "" for r in await tokens.listing(store)) == sorted(r.id or "" for _, r in made)


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "action": "issue",
        "id": None,
        "role": "manager",
        "person": "Maria",
        "responder": None,
        "label": None,
        "expires_in": "90d",
    }
    return argparse.Namespace(**{**base, **kw})


async def test_token_command_issues_lists_and_revokes(
    redis_srv: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    client = aioredis.Redis.from_url(redis_srv.url, decode_responses=True)
    await client.flushdb()
    await client.aclose()
    settings = Settings(redis_url=redis_srv.url, hotline="t")
    with pytest.raises(StartupError, match="--person"):
        await cli_admin.token(_args(person=None), settings)
    assert await cli_admin.token(_args(expires_in="12h"), settings) == 0
    out = capsys.readouterr()
    secret = out.out.strip()
    token_id = out.err.split()[1]
    store = RedisStore.from_url(redis_srv.url, "t")
    try:
        record = await store.get_token(tokens.hash_token(secret))
        assert record is not None and record.person == "Maria" and record.id == token_id
        assert record.expires_at is not None and record.created_at is not None
        assert record.expires_at - record.created_at == timedelta(hours=12)
        assert await cli_admin.token(_args(action="list"), settings) == 0
        assert token_id in capsys.readouterr().out
        assert await cli_admin.token(_args(action="revoke", id=token_id), settings) == 0
        revoked = await store.get_token(tokens.hash_token(secret))
        assert revoked is not None and revoked.revoked_at is not None
        assert await cli_admin.token(_args(action="revoke", id="tok_ffffffffffffffff"), settings) == 1
        audit = [e for _, e in await store.read_events() if e.event == "audit"]
        assert [(e.model_extra or {}).get("action") for e in audit] == ["token.issue", "token.revoke"]
    finally:
        await store.close()


def test_durations() -> None:
    assert cli_admin.duration("90d") == timedelta(days=90)
    assert cli_admin.duration("3600") == timedelta(hours=1)
    with pytest.raises(ValueError, match="expires-in"):
        cli_admin.duration("soon")


async def test_a_token_from_before_names_is_adopted_on_first_use(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        old = "sn_issued-by-the-previous-release"
        await store.put_token(tokens.hash_token(old), TokenRecord(role="responder", responder="ana"))
        assert (await a.call("GET", "/v1/offers?responder=ana", token=old))[0] == 200
        listed = await a.ok("GET", "/v1/tokens")
        assert [(t["person"], t["active"]) for t in listed] == [("unnamed ana", True)]
        assert listed[0]["expires_at"] == (clock.now() + tokens.DEFAULT_LIFETIME).isoformat()
        await clock.advance(60)
        assert (await a.call("GET", "/v1/offers?responder=ana", token=old))[0] == 200
        assert len(await a.ok("GET", "/v1/tokens")) == 1  # adopted once
        await a.ok("DELETE", f"/v1/tokens/{listed[0]['id']}")
        assert (await a.call("GET", "/v1/offers?responder=ana", token=old))[0] == 401


@pytest.mark.slow
async def test_revocation_holds_at_once_on_every_serve_process(redis_srv: RedisServer, start: Start) -> None:
    client = aioredis.Redis.from_url(redis_srv.url, decode_responses=True)
    await client.flushdb()
    await client.aclose()
    one, two = await start(redis_srv.url), await start(redis_srv.url)
    made = await one.ok("POST", "/v1/tokens", {"role": "manager", "person": "Mia"})
    headers = {"Authorization": f"Bearer {made['token']}"}
    async with two.session.get(two.base + "/v1/queue", headers=headers) as resp:
        assert resp.status == 200
    await one.ok("DELETE", f"/v1/tokens/{made['id']}")
    for inst in (one, two):
        async with inst.session.get(inst.base + "/v1/queue", headers=headers) as resp:
            assert resp.status == 401
