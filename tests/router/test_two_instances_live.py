"""Several instances are first-class: the person chats on one, the responder works on the other,
and both see each other's words live (chat socket and console feed follow the shared stream)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from simulations.bench._procs import ADMIN, Serve
from tests.redis_server import RedisServer
from tests.router.processes import Start, eventually
from tests.router.test_processes import setup_hotline

pytestmark = pytest.mark.slow


async def console_notices(inst: Serve, seen: list[dict[str, Any]]) -> None:
    """Read the console's live feed (server-sent events) into `seen`."""
    async with inst.session.get(
        inst.base + "/console/events", headers={"Authorization": f"Bearer {ADMIN}"}
    ) as resp:
        async for line in resp.content:
            if line.startswith(b"data: "):
                seen.append(json.loads(line[6:]))


async def test_person_on_one_instance_responder_on_the_other(redis_srv: RedisServer, start: Start) -> None:
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    a = await start(redis_srv.url)
    b = await start(redis_srv.url)
    await setup_hotline(a)
    notices: list[dict[str, Any]] = []
    feed = asyncio.create_task(console_notices(b, notices))
    try:
        ws = await a.session.ws_connect(a.base.replace("http", "ws") + "/channels/chat/ws")
        await ws.send_json({"type": "hello"})
        await ws.send_json({"type": "message", "body": "is anyone there"})

        async def frames_until(match: Any) -> dict[str, Any]:
            async with asyncio.timeout(30):
                while True:
                    frame: dict[str, Any] = await ws.receive_json()
                    if frame.get("type") == "state" and match(frame):
                        return frame

        queued = await frames_until(lambda s: s.get("status") in ("queued", "offered"))
        assert queued["messages"]

        async def offer_on_b() -> Any:
            _, offers = await b.call("GET", "/v1/offers")
            return offers[0] if offers else None

        offer = await eventually(offer_on_b, 30, "an offer seen from instance b")
        cid = offer["contact_id"]
        status, _ = await b.call("POST", f"/v1/offers/{offer['id']}/accept")
        assert status == 200
        status, _ = await b.call("POST", f"/v1/contacts/{cid}/messages", {"body": "I am here with you"})
        assert status == 200

        # The reply made on b reaches the person's socket held by a.
        state = await frames_until(lambda s: any("I am here" in m.get("body", "") for m in s["messages"]))
        assert state["status"] == "answered"

        # The person's next words, written on a, reach the console feed served by b.
        await ws.send_json({"type": "message", "body": "thank you"})

        async def b_saw_the_message() -> bool:
            return any(n.get("contact_id") == cid and n.get("event") == "message_received" for n in notices)

        await eventually(b_saw_the_message, 30, "b hearing a message made on a")
        await ws.close()
    finally:
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
