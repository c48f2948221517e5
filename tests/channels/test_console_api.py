"""What the console reads: offers with the facts to decide on, the protocol's close requirements,
and the supervisor's board — none of it carrying personal data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis

from tests.channels.conftest_web import ADMIN, TOKENS, running
from tests.redis_server import RedisServer

PERSON = "+15557770456"
WORDS = "he took my passport"


@pytest.fixture(params=["memory", "redis"])
async def store_url(request: pytest.FixtureRequest, redis_srv: RedisServer) -> AsyncIterator[str]:
    """The embedded store and a real Redis (emptied first)."""
    if request.param == "memory":
        yield "memory://"
        return
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    yield redis_srv.url


async def test_offers_carry_contact_facts_and_no_personal_data(store_url: str) -> None:
    async with running(redis_url=store_url) as stack:
        await stack.service.engine.set_presence("ben", "away")
        created = await stack.api(
            "POST",
            "/v1/contacts",
            body={"channel": "sms", "from": PERSON, "body": WORDS, "language": "es", "flags": ["minor"]},
        )
        [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
        assert offer["contact_id"] == created["id"]
        facts = offer["contact"]
        assert facts["channel"] == "sms" and facts["language"] == "es"
        assert "minor" in facts["flags"]
        assert facts["priority"] == created["priority"]
        assert 0 <= facts["waiting_s"] < 60
        # The countdown's anchor is the server's clock: the protocol's offer timeout from now.
        timeout = stack.service.engine.protocol.offer_timeout.total_seconds()
        assert timeout - 60 < offer["expires_in_s"] <= timeout
        text = json.dumps(offer)
        assert PERSON not in text and WORDS not in text
        # A manager reads the same cards for everyone.
        assert [o["id"] for o in await stack.api("GET", "/v1/offers")] == [offer["id"]]


async def test_the_protocol_read_by_the_close_form() -> None:
    async with running() as stack:
        proto = await stack.api("GET", "/console/protocol", TOKENS["ana"])
        assert proto["labels"]["referral"] == "Referred to a partner"
        assert proto["labels"]["support_given"] == "Support given"
        assert proto["requires"]["referral"] == ["referral"]
        assert [p["id"] for p in proto["partners"]] == ["nhth", "ndvh", "lifeline-988"]
        report = proto["mandated_report"]
        assert report["when_flags"] == ["minor", "vulnerable_adult"]
        assert [i["key"] for i in report["checklist"]] == [
            "what",
            "to",
            "when",
            "reference",
            "client_informed",
        ]
        assert {"minor"} in [set(a["for_flags"]) for a in report["agencies"]]


async def test_the_board_is_the_supervisors_and_names_no_addresses(store_url: str) -> None:
    async with running(redis_url=store_url) as stack:
        await stack.service.engine.set_presence("ben", "away")
        board = await stack.api("GET", "/console/board", ADMIN)
        assert board["oncall"] == {"primary": ["ana"], "backup": ["ben"], "supervisor": []}
        by_id = {r["id"]: r for r in board["responders"]}
        assert by_id["ben"]["presence"] == "away" and by_id["ben"]["on_call"] == ["backup"]
        assert all("phone" not in r and "email" not in r for r in board["responders"])
        assert board["alerts"] == [] and board["pages"] == []
        async with stack.http.get(
            stack.base + "/console/board", headers={"Authorization": f"Bearer {TOKENS['ana']}"}
        ) as response:
            assert response.status == 403
        async with stack.http.get(stack.base + "/console/board") as response:
            assert response.status == 401


async def test_wrap_up_shows_on_whoami_and_the_board(store_url: str) -> None:
    async with running(redis_url=store_url) as stack:
        await stack.service.engine.set_presence("ben", "away")
        created = await stack.api(
            "POST", "/v1/contacts", body={"channel": "chat", "from": PERSON, "body": WORDS}
        )
        [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
        await stack.api("POST", f"/v1/offers/{offer['id']}/accept", TOKENS["ana"])
        await stack.api(
            "POST", f"/v1/contacts/{created['id']}/messages", TOKENS["ana"], {"body": "I am here"}
        )
        await stack.api(
            "POST", f"/v1/contacts/{created['id']}/close", TOKENS["ana"], {"disposition": "information"}
        )

        me = await stack.api("GET", "/console/whoami", TOKENS["ana"])
        assert me["presence"] == "available" and me["wrap_up_until"] is not None
        wrap = datetime.fromisoformat(me["wrap_up_until"]) - datetime.fromisoformat(me["at"])
        assert timedelta(seconds=100) < wrap <= stack.service.engine.protocol.wrap_up
        board = await stack.api("GET", "/console/board", ADMIN)
        seen = next(r for r in board["responders"] if r["id"] == "ana")
        assert seen["wrap_up_until"] == me["wrap_up_until"] and seen["break_until"] is None
