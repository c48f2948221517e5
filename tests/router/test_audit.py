"""The access audit: every read of a person's data and every change of the set-up is an `audit`
event on the stream, naming the person behind the token, what, when and from where, with no
personal data in it."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from router import cli
from router import web as console
from router.api.app import create_app
from router.clock import VirtualClock
from router.fanout import SharedFeed
from router.models import Contact, Event
from router.store import RedisStore, Store
from tests.redis_server import RedisServer
from tests.router.api_client import ADMIN, Api, api

PHONE = "+15558675309"
WORDS = "he took my passport"
PROTOCOL = "name: audited\nresponse_target: 20m\n"


async def _entries(a: Api) -> list[dict[str, Any]]:
    return [
        {"at": e.at, "contact_id": e.contact_id, **(e.model_extra or {})}
        for _, e in await a.service.store.read_events()
        if e.event == "audit"
    ]


async def _setup(a: Api) -> dict[str, str]:
    tokens = {}
    for role, person, rid in (
        ("manager", "Mia", None),
        ("responder", "Ana", "ana"),
        ("scheduler", "Sam", None),
    ):
        tokens[person] = (
            await a.ok("POST", "/v1/tokens", {"role": role, "person": person, "responder": rid})
        )["token"]
    await a.ok("PUT", "/v1/responders/ana", {"name": "Ana"})
    shifts = [
        {
            "responder": "ana",
            "role": "primary",
            "start": "2026-03-02T00:00:00Z",
            "end": "2026-03-09T00:00:00Z",
        }
    ]
    await a.ok("PUT", "/v1/rosters/main", {"shifts": shifts}, token=tokens["Sam"])
    await a.ok(
        "POST",
        "/v1/rosters/main/publish",
        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z", "force": True},
        token=tokens["Sam"],
    )
    return tokens


async def test_reads_and_changes_are_recorded_with_the_person(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        tok = await _setup(a)
        contact = await a.ok(
            "POST", "/v1/contacts", {"channel": "sms", "from": PHONE, "body": WORDS}, token=tok["Mia"]
        )
        cid = contact["id"]
        await a.ok("GET", f"/v1/contacts/{cid}", token=tok["Mia"])
        offer = (await a.ok("GET", "/v1/offers?responder=ana", token=tok["Ana"]))[0]
        await a.ok("POST", f"/v1/offers/{offer['id']}/accept", token=tok["Ana"])
        await a.ok("POST", f"/v1/contacts/{cid}/messages", {"body": "I am here"}, token=tok["Ana"])
        await a.ok("POST", f"/v1/contacts/{cid}/close", {"disposition": "support_given"}, token=tok["Ana"])
        status, _ = await a.call("GET", f"/v1/contacts/{cid}", token=tok["Sam"])  # refused: no read, no entry
        assert status == 403
        resp = await a.client.put("/v1/protocol", data=PROTOCOL, headers={"Authorization": f"Bearer {ADMIN}"})
        assert resp.status == 200
        entries = await _entries(a)
        seen = [(e["actor"], e["role"], e["action"], e["contact_id"]) for e in entries]
        assert seen == [
            ("bootstrap-admin", "admin", "token.issue", None),
            ("bootstrap-admin", "admin", "token.issue", None),
            ("bootstrap-admin", "admin", "token.issue", None),
            ("bootstrap-admin", "admin", "responder.create", None),
            ("Sam", "scheduler", "roster.publish", None),
            ("Mia", "manager", "contact.read", cid),
            ("Ana", "responder", "contact.message", cid),
            ("Ana", "responder", "contact.close", cid),
            ("bootstrap-admin", "admin", "protocol.activate", None),
        ]
        assert all(e["ip"] == "127.0.0.1" and e["at"] == clock.now() for e in entries)
        assert entries[4]["detail"] == "roster=main version=1"
        text = str(entries)
        assert (
            PHONE not in text and "8675309" not in text and "passport" not in text and "I am here" not in text
        )


async def test_token_revocation_is_recorded(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        made = await a.ok("POST", "/v1/tokens", {"role": "manager", "person": "Mia"})
        await a.ok("DELETE", f"/v1/tokens/{made['id']}")
        entries = await _entries(a)
        assert [(e["action"], e["detail"]) for e in entries] == [
            ("token.issue", f"token={made['id']} role=manager"),
            ("token.revoke", f"token={made['id']}"),
        ]


async def test_console_conversations_are_recorded_per_contact(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        tok = await _setup(a)
        cid = (
            await a.ok(
                "POST", "/v1/contacts", {"channel": "chat", "from": "chat:x", "body": WORDS}, token=tok["Mia"]
            )
        )["id"]
        offer = (await a.ok("GET", "/v1/offers?responder=ana", token=tok["Ana"]))[0]
        await a.ok("POST", f"/v1/offers/{offer['id']}/accept", token=tok["Ana"])
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(a.service, [console.install])))
        await client.start_server()
        try:
            resp = await client.get("/console/contacts", headers={"Authorization": f"Bearer {tok['Ana']}"})
            assert resp.status == 200 and [c["id"] for c in await resp.json()] == [cid]
        finally:
            await client.close()
        last = (await _entries(a))[-1]
        assert (last["actor"], last["action"], last["contact_id"]) == ("Ana", "console.conversations", cid)


async def test_views_do_not_hear_of_audit_entries(store: Store, clock: VirtualClock) -> None:
    """A console refetches when it hears of a contact; an audit entry naming that contact must not
    reach it, or each refetch (itself audited) would call for the next."""
    heard: list[str] = []

    class View:
        async def on_event(self, contact: Contact, event: Event) -> None:
            heard.append(event.event)

    async with api(store, clock) as a:
        feed = SharedFeed(store, a.service.engine.metrics, [View()])
        feed.position = await feed.start_position()
        cid = (await a.ok("POST", "/v1/contacts", {"channel": "sms", "from": PHONE, "body": WORDS}))["id"]
        await a.ok("GET", f"/v1/contacts/{cid}")
        assert await feed.step() >= 2  # everything since the start, in one batch
        assert "received" in heard and "audit" not in heard


async def test_command_line_changes_are_recorded(
    redis_srv: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = aioredis.Redis.from_url(redis_srv.url, decode_responses=True)
    await client.flushdb()
    await client.aclose()
    monkeypatch.setenv("SAFETYNET_REDIS_URL", redis_srv.url)
    monkeypatch.setenv("SAFETYNET_HOTLINE", "t")
    file = tmp_path / "protocol.yaml"
    file.write_text(PROTOCOL)
    # The command runs its own event loop: run it beside this test's.
    assert await asyncio.to_thread(cli.main, ["protocol", "activate", str(file)]) == 0
    store = RedisStore.from_url(redis_srv.url, "t")
    try:
        entries = [e.model_extra or {} for _, e in await store.read_events() if e.event == "audit"]
        history = await store.protocol_history()
    finally:
        await store.close()
    assert [(e["action"], e["actor"]) for e in entries] == [("protocol.activate", f"cli:{getpass.getuser()}")]
    assert history[-1].activated_by == f"cli:{getpass.getuser()}"
