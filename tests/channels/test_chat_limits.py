"""The public chat socket against floods: Origin allow-list, per-address rate limits, idle eviction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from router import transitions
from router.channels.chat import ChatHub
from router.channels.chat.handlers import CLOSE_TOO_MANY, FULL, SLOW_DOWN
from router.channels.chat.limits import (
    CONNECTS,
    MESSAGES,
    NEW_SESSIONS,
    allowed_origins,
    client_address,
    origin_allowed,
)
from router.clock import VirtualClock
from router.service import Service
from router.settings import Settings
from tests.channels.conftest_web import Stack, running


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running(public_url="https://help.example.org/safetynet") as s:
        yield s


async def connect(stack: Stack, origin: str | None = None) -> aiohttp.ClientWebSocketResponse:
    headers = {"Origin": origin} if origin else {}
    return await stack.http.ws_connect(
        stack.base.replace("http", "ws") + "/channels/chat/ws", headers=headers
    )


async def hello(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    await ws.send_json({"type": "hello"})
    frame: dict[str, Any] = await ws.receive_json(timeout=10)
    return frame


async def test_a_page_of_another_origin_is_refused(stack: Stack) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(stack, "https://evil.example")
    assert refused.value.status == 403
    # The public URL's origin, and the server's own, are allowed by default.
    for origin in ("https://help.example.org", stack.base):
        ws = await connect(stack, origin)
        assert (await hello(ws))["type"] == "state"
        await ws.close()


async def test_listed_origins_are_allowed() -> None:
    async with running(chat_origins="https://partner.example.net, https://Other.Example.com:8443") as stack:
        for origin in ("https://partner.example.net", "https://other.example.com:8443"):
            ws = await connect(stack, origin)
            assert (await hello(ws))["type"] == "state"
            await ws.close()
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await connect(stack, "https://partner.example.net.evil.example")


def test_origin_rules() -> None:
    allowed = allowed_origins("https://a.example, *junk*", "https://b.example/path/")
    assert allowed == frozenset({"https://a.example", "https://b.example"})
    assert origin_allowed("https://A.example", allowed, "http://127.0.0.1:1")
    assert not origin_allowed("null", allowed, "http://127.0.0.1:1")
    assert origin_allowed(None, allowed, "http://x")  # not a browser: the rate limits hold it
    assert origin_allowed("https://anything.example", allowed_origins("*", None), "http://x")


def test_the_address_behind_the_proxy_counts() -> None:
    assert client_address("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert client_address("10.0.0.5", "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert client_address("93.184.216.34", "1.2.3.4") == "93.184.216.34"  # a client's own claim
    assert client_address(None, None) == "unknown"


async def test_a_burst_of_new_chats_from_one_address_is_cut_off(stack: Stack) -> None:
    burst = int(NEW_SESSIONS[0])
    sockets = []
    for _ in range(burst):
        ws = await connect(stack)
        assert (await hello(ws))["type"] == "state"
        sockets.append(ws)
    ws = await connect(stack)
    await ws.send_json({"type": "hello"})
    closing = await ws.receive(timeout=10)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == CLOSE_TOO_MANY
    assert len(stack.chat.sessions) == burst
    # A person resuming their own session is not a new chat: that still works.
    first = sockets[0]
    await first.send_json({"type": "message", "body": "I need help"})
    state: dict[str, Any] = {}
    while not state.get("messages"):
        state = await first.receive_json(timeout=10)
    again = await connect(stack)
    await again.send_json({"type": "hello", "session": state["session"], "token": state["token"]})
    assert (await again.receive_json(timeout=10))["session"] == state["session"]
    for s in [*sockets, again]:
        await s.close()


async def test_a_flood_of_connections_is_refused_with_429(stack: Stack) -> None:
    opened: list[aiohttp.ClientWebSocketResponse] = []

    async def flood() -> None:
        for _ in range(int(CONNECTS[0]) + 10):  # a slow run may see a token refill meanwhile
            opened.append(await connect(stack))

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await flood()
    assert refused.value.status == 429 and len(opened) >= int(CONNECTS[0])
    await asyncio.gather(*(ws.close() for ws in opened))


async def test_a_flood_of_messages_is_slowed_and_queues_one_contact(stack: Stack) -> None:
    ws = await connect(stack)
    await hello(ws)
    sent = int(MESSAGES[0]) + 10
    for n in range(sent):
        await ws.send_json({"type": "message", "body": f"message {n}"})
    errors = 0
    kept = 0
    async with asyncio.timeout(20):
        while errors + kept < sent:
            frame = await ws.receive_json()
            if frame["type"] == "error":
                assert frame["message"] == SLOW_DOWN
                errors += 1
            elif frame["type"] == "state":
                kept = max(kept, len(frame["messages"]))
    # The burst passes; the rest wait for the bucket to refill (one a second, so a slow run may
    # see a token or two come back while the flood is read).
    assert int(MESSAGES[0]) <= kept <= int(MESSAGES[0]) + 3 and errors == sent - kept
    store = stack.service.store
    chats = [c for c in await store.get_contacts(await store.open_contacts()) if c.channel == "chat"]
    assert len(chats) == 1
    await ws.close()


async def test_idle_sessions_are_evicted_and_their_memory_returned() -> None:
    clock = VirtualClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    service = await Service.create(Settings(redis_url="memory://"), clock=clock)
    try:
        hub = ChatHub(service, idle_s=600)
        empty = [await hub.open_session(None, None, None) for _ in range(50)]
        talking = await hub.open_session(None, None, "en")
        await hub.write(talking, "Can someone talk to me?")
        for n in range(30):
            assert hub.limits.messages.take(f"198.51.100.{n}")
        assert len(hub.sessions) == 51 and len(hub.by_contact) == 1

        await clock.advance(599)
        assert await hub.evict_idle() == 0
        await clock.advance(2)
        assert await hub.evict_idle() == 50  # the person waiting for an answer is never evicted
        assert set(hub.sessions) == {talking.id} and len(hub.by_contact) == 1
        assert all(s.id not in hub.sessions for s in empty)
        assert hub.limits.messages.buckets == {}  # refilled buckets are forgotten too

        assert talking.contact_id is not None
        await service.engine.abandon(talking.contact_id)
        await clock.advance(601)
        assert await hub.evict_idle() == 1
        assert hub.sessions == {} and hub.by_contact == {}
    finally:
        await service.stop()


async def test_a_conversation_too_long_to_keep_says_so(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 2)
    ws = await connect(stack)
    await hello(ws)
    for n in range(3):
        await ws.send_json({"type": "message", "body": f"message {n}"})
    async with asyncio.timeout(20):
        while (frame := await ws.receive_json())["type"] != "error":
            pass
    assert frame["message"] == FULL
    store = stack.service.store
    [contact] = await store.get_contacts(await store.open_contacts())
    assert [m.body for m in contact.messages] == ["message 0", "message 1"]
    await ws.close()
