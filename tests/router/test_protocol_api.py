"""Activating protocol versions: validation with line and field, history, contacts record the version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from router.clock import VirtualClock
from router.store import Store
from tests.router.api_client import Api, api

GOOD = """
name: tighter
response_target: 15m
offer_timeout: 45s
escalation:
  - after: 5m
    notify: [backup]
    via: [sms]
"""
BAD = """
name: broken
response_target: soon
escalation:
  - after: 5m
    notify: [everybody]
"""


@pytest.fixture
async def client(store: Store, clock: VirtualClock) -> AsyncIterator[Api]:
    async with api(store, clock) as a:
        yield a


async def put_yaml(a: Api, text: str) -> tuple[int, Any]:
    resp = await a.client.put(
        "/v1/protocol",
        data=text.encode(),
        headers={"Authorization": f"Bearer {a.token}", "Content-Type": "application/yaml"},
    )
    return resp.status, await resp.json()


async def test_activation_history_and_contacts_record_the_version(client: Api) -> None:
    first = await client.ok("GET", "/v1/protocol")
    c1 = await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": "+15550000001"})
    status, body = await put_yaml(client, GOOD)
    assert status == 200 and body["name"] == "tighter" and body["version"] != first["version"]
    assert any("response_target" in line for line in body["changes"])
    c2 = await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": "+15550000002"})
    got1 = await client.ok("GET", f"/v1/contacts/{c1['id']}")
    got2 = await client.ok("GET", f"/v1/contacts/{c2['id']}")
    assert got1["protocol_version"] == first["version"]
    assert got2["protocol_version"] == body["version"]
    assert got2["deadline"] != got1["deadline"]
    history = await client.ok("GET", "/v1/protocol/history")
    assert [h["version"] for h in history] == [first["version"], body["version"]]
    assert history[1]["activated_by"] == "bootstrap-admin"  # the person behind the token


async def test_a_bad_file_names_line_and_field_and_changes_nothing(client: Api) -> None:
    before = await client.ok("GET", "/v1/protocol")
    status, body = await put_yaml(client, BAD)
    assert status == 422
    problems = [d["msg"] for d in body["error"]["details"]]
    assert any(":3:" in p and "response_target" in p for p in problems), problems
    assert any(":6:" in p and "notify" in p for p in problems), problems
    assert (await client.ok("GET", "/v1/protocol"))["version"] == before["version"]
    assert len(await client.ok("GET", "/v1/protocol/history")) == 1


async def test_only_admin_activates_and_manual_renders(client: Api) -> None:
    tok = (await client.ok("POST", "/v1/tokens", {"role": "manager", "person": "mia"}))["token"]
    resp = await client.client.put(
        "/v1/protocol", data=GOOD.encode(), headers={"Authorization": f"Bearer {tok}"}
    )
    assert resp.status == 403
    resp = await client.client.get("/v1/protocol/manual", headers={"Authorization": f"Bearer {tok}"})
    text = await resp.text()
    assert resp.status == 200 and "20" in text and "Standard" in text
