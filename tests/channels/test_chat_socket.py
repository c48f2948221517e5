"""The chat socket with aiohttp's WebSocket client as the person's browser: queue, talk, resume, leave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from router.channels.chat import ChatSession
from router.models import ContactStatus
from tests.channels.conftest_web import TOKENS, Stack, running


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running() as s:
        yield s


class Person:
    """One widget connection: sends frames, reads `state` frames until one matches."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.state: dict[str, Any] = {}

    @classmethod
    async def connect(cls, stack: Stack, **hello: Any) -> Person:
        ws = await stack.http.ws_connect(stack.base.replace("http", "ws") + "/channels/chat/ws")
        person = cls(ws)
        await ws.send_json({"type": "hello", **hello})
        await person.until(lambda s: True)
        return person

    async def until(self, match: Any) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                frame: dict[str, Any] = await self.ws.receive_json()
                if frame["type"] == "state":
                    self.state = frame
                    if match(frame):
                        return frame

    async def say(self, body: str) -> dict[str, Any]:
        n = len(self.state.get("messages", []))
        await self.ws.send_json({"type": "message", "body": body})
        return await self.until(lambda s: len(s["messages"]) > n)


async def contact_of(stack: Stack, person: Person) -> str:
    session = stack.chat.sessions[person.state["session"]]
    assert session.contact_id is not None
    return session.contact_id


async def test_writing_queues_a_contact_and_shows_the_place_in_line(stack: Stack) -> None:
    await stack.service.engine.set_presence("ana", "offline")
    await stack.service.engine.set_presence("ben", "offline")
    person = await Person.connect(stack, language="es-MX")
    assert person.state["status"] == "new"
    assert person.state["greeting"]
    state = await person.say("Necesito ayuda")
    assert state["status"] == "queued"
    assert state["position"] == 1
    contact = await stack.service.engine.get_contact(await contact_of(stack, person))
    assert contact.channel == "chat"
    assert contact.language == "es"
    assert contact.ref == person.state["session"]
    assert contact.sender != "Necesito ayuda" and "@" not in contact.sender

    second = await Person.connect(stack)
    assert (await second.say("hello"))["position"] == 2
    # The first person leaving moves the second one up, pushed without asking.
    await person.ws.send_json({"type": "leave"})
    assert (await second.until(lambda s: s.get("position") == 1))["position"] == 1


async def test_a_conversation_survives_a_dropped_connection(stack: Stack) -> None:
    person = await Person.connect(stack)
    await person.say("I need to talk")
    cid = await contact_of(stack, person)
    [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
    await stack.api("POST", f"/v1/offers/{offer['id']}/accept", TOKENS["ana"])
    await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "I'm Ana, I'm here."})
    state = await person.until(lambda s: s["status"] == "answered")
    assert [m["body"] for m in state["messages"]] == ["I need to talk", "I'm Ana, I'm here."]

    session, token = state["session"], state["token"]
    await person.ws.close()
    # While the person is away the responder writes again; nothing is lost.
    await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "Take your time."})
    back = await Person.connect(stack, session=session, token=token)
    assert back.state["session"] == session
    assert [m["body"] for m in back.state["messages"]] == [
        "I need to talk",
        "I'm Ana, I'm here.",
        "Take your time.",
    ]
    assert [m["direction"] for m in back.state["messages"]] == ["in", "out", "out"]
    await back.say("thanks")
    assert (await stack.service.engine.get_contact(cid)).messages[-1].body == "thanks"


async def test_a_forged_token_gets_a_fresh_session_not_the_conversation(stack: Stack) -> None:
    person = await Person.connect(stack)
    await person.say("private words")
    intruder = await Person.connect(stack, session=person.state["session"], token="0" * 64)
    assert intruder.state["session"] != person.state["session"]
    assert intruder.state["messages"] == []


async def test_leaving_before_an_answer_abandons_the_contact(stack: Stack) -> None:
    person = await Person.connect(stack)
    await person.say("hello?")
    cid = await contact_of(stack, person)
    await person.ws.send_json({"type": "leave"})
    state = await person.until(lambda s: s["status"] == "abandoned")
    assert state["messages"][0]["body"] == "hello?"
    assert (await person.ws.receive_json())["type"] == "left"
    contact = await stack.service.engine.get_contact(cid)
    assert contact.status == ContactStatus.abandoned


async def test_the_page_going_away_leaves_by_beacon(stack: Stack) -> None:
    person = await Person.connect(stack)
    await person.say("hello?")
    cid = await contact_of(stack, person)
    body = f'{{"session": "{person.state["session"]}", "token": "{person.state["token"]}"}}'
    async with stack.http.post(
        stack.base + "/channels/chat/leave", data=body, headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 204
    assert (await stack.service.engine.get_contact(cid)).status == ContactStatus.abandoned


class Gate:
    """Stands in for the grace period's sleep: the test decides when the period is over."""

    def __init__(self) -> None:
        self.armed = asyncio.Event()
        self.over = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.armed.set()
        await self.over.wait()


async def _disconnect_waiting_person(stack: Stack, gate: Gate) -> tuple[Person, ChatSession, str]:
    stack.chat.sleep = gate.sleep
    await stack.service.engine.set_presence("ana", "offline")
    await stack.service.engine.set_presence("ben", "offline")
    person = await Person.connect(stack)
    await person.say("is anyone there")
    session = stack.chat.sessions[person.state["session"]]
    cid = await contact_of(stack, person)
    await person.ws.close()
    async with asyncio.timeout(10):
        await gate.armed.wait()
    return person, session, cid


async def test_not_coming_back_within_the_grace_period_abandons(stack: Stack) -> None:
    gate = Gate()
    _, session, cid = await _disconnect_waiting_person(stack, gate)
    grace = session.grace
    assert grace is not None
    gate.over.set()
    await grace
    assert (await stack.service.engine.get_contact(cid)).status == ContactStatus.abandoned


async def test_coming_back_within_the_grace_period_keeps_the_place(stack: Stack) -> None:
    gate = Gate()
    person, session, cid = await _disconnect_waiting_person(stack, gate)
    grace = session.grace
    assert grace is not None
    back = await Person.connect(stack, session=person.state["session"], token=person.state["token"])
    assert back.state["status"] == "queued"
    gate.over.set()
    with pytest.raises(asyncio.CancelledError):
        await grace
    assert (await stack.service.engine.get_contact(cid)).status == ContactStatus.queued


async def test_widget_script_and_demo_page_are_served(stack: Stack) -> None:
    async with stack.http.get(stack.base + "/channels/chat/widget.js") as response:
        assert response.status == 200
        assert response.content_type == "application/javascript"
        script = await response.text()
    assert ".snc-exit" in script and "/*__CSS__*/" not in script
    for storage in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert storage not in script.split("*/", 1)[1], f"the widget must not touch {storage}"
    async with stack.http.get(stack.base + "/channels/chat/demo") as response:
        assert response.status == 200
        assert '<script src="/channels/chat/widget.js"' in await response.text()


async def test_expected_wait_is_shown_once_there_is_history(stack: Stack) -> None:
    await stack.service.engine.set_presence("ana", "offline")
    await stack.service.engine.set_presence("ben", "offline")
    person = await Person.connect(stack)
    assert "expected_wait_s" not in await person.say("first")
    stack.chat._waits.extend([60.0, 240.0, 120.0])  # answers seen recently, as the listener records them
    assert (await person.say("second"))["expected_wait_s"] == 120
