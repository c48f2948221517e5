"""After hours on chat and email, and flags raised through the API, on the running app with a
virtual clock: the protocol's after-hours and danger texts replace the ordinary ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from router.clock import VirtualClock
from tests.channels.conftest_web import ADMIN, TOKENS, Stack, running
from tests.channels.test_chat_socket import Person
from tests.channels.test_email_relay import mail, send

PROTOCOL = """
name: office-hours
timezone: Europe/Berlin
languages: [en]
channels:
  chat:
    open_hours: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]
    greeting: {en: "Welcome to chat."}
    after_hours: {en: "Chat is closed now; you are still in line and we will answer."}
    danger: {en: "We see you may be in danger. If you can, call 112."}
  email:
    open_hours: [{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}]
    auto_reply: {en: "Thanks, we will answer soon."}
    after_hours: {en: "Email is answered weekdays 9-17; we will answer when we open."}
triage:
  - name: danger
    keywords: [gun]
    priority: critical
    flags: [imminent_danger]
"""
# Tuesday 3 March 2026: 10:00 UTC is 11:00 in Berlin (open), 20:00 UTC is 21:00 (closed).
OPEN = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
CLOSED = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)


@pytest.fixture
def protocol_file(tmp_path: Path) -> str:
    path = tmp_path / "office-hours.yaml"
    path.write_text(PROTOCOL)
    return str(path)


async def _stack(protocol_file: str, at: datetime) -> AsyncIterator[Stack]:
    async with running(clock=VirtualClock(at), protocol=protocol_file) as s:
        yield s


@pytest.fixture
async def closed(protocol_file: str) -> AsyncIterator[Stack]:
    async for s in _stack(protocol_file, CLOSED):
        yield s


@pytest.fixture
async def open_(protocol_file: str) -> AsyncIterator[Stack]:
    async for s in _stack(protocol_file, OPEN):
        yield s


async def delivered(stack: Stack, count: int) -> list[EmailMessage]:
    """On a virtual clock the service's background loops do not run: send the outbox by hand,
    then wait for the sink to have them (its own signal, no polling)."""
    await stack.mail.mailer.drain()
    return await stack.sink.wait_for(count)


async def test_chat_after_hours_text_before_and_after_writing(closed: Stack) -> None:
    person = await Person.connect(closed)
    assert person.state["greeting"].startswith("Chat is closed now")
    state = await person.say("hello")
    assert state["status"] in ("queued", "offered")
    assert state["greeting"].startswith("Chat is closed now")
    contact = await closed.service.engine.get_contact(closed.chat.sessions[state["session"]].contact_id or "")
    assert "after_hours" in contact.flags


async def test_chat_in_open_hours_and_the_danger_text(open_: Stack) -> None:
    person = await Person.connect(open_)
    assert person.state["greeting"] == "Welcome to chat."
    state = await person.say("he has a gun")
    assert state["greeting"] == "We see you may be in danger. If you can, call 112."


async def test_email_after_hours_acknowledgement(closed: Stack) -> None:
    await send(closed, mail("Can someone help me?"))
    [ack] = await delivered(closed, 1)
    assert ack.get_content().strip() == "Email is answered weekdays 9-17; we will answer when we open."


async def test_email_in_open_hours_gets_the_auto_reply(open_: Stack) -> None:
    await send(open_, mail("Can someone help me?"))
    [ack] = await delivered(open_, 1)
    assert ack.get_content().strip() == "Thanks, we will answer soon."


async def _post(stack: Stack, path: str, token: str, body: object) -> tuple[int, dict[str, object]]:
    async with stack.http.post(
        stack.base + path, json=body, headers={"Authorization": f"Bearer {token}"}
    ) as r:
        data: dict[str, object] = await r.json()
        return r.status, data


async def test_flags_endpoint_roles_validation_and_the_queue(open_: Stack) -> None:
    engine = open_.service.engine
    for rid in ("ana", "ben"):
        await engine.set_presence(rid, "away")
    a = await open_.api(
        "POST", "/v1/contacts", ADMIN, {"channel": "sms", "from": "+15550000001", "body": "hi"}
    )
    b = await open_.api(
        "POST", "/v1/contacts", ADMIN, {"channel": "sms", "from": "+15550000002", "body": "hi"}
    )
    # a responder who does not hold it (and is not the supervisor) may not flag it
    status, err = await _post(open_, f"/v1/contacts/{b['id']}/flags", TOKENS["ben"], {"add": ["minor"]})
    assert status == 403
    status, err = await _post(open_, f"/v1/contacts/{b['id']}/flags", ADMIN, {"add": ["no_such_flag"]})
    assert status == 422 and "add" in str(err["error"])
    status, err = await _post(open_, f"/v1/contacts/{b['id']}/flags", ADMIN, {"add": ["minor"], "extra": 1})
    assert status == 422
    before = await open_.api("GET", f"/v1/contacts/{b['id']}", ADMIN)
    status, view = await _post(open_, f"/v1/contacts/{b['id']}/flags", ADMIN, {"add": ["minor"]})
    assert status == 200 and view["priority"] == "high" and "minor" in view["flags"]  # type: ignore[operator]
    assert view["deadline"] == before["deadline"]
    queue = await open_.api("GET", "/v1/queue", ADMIN)
    assert [q["id"] for q in queue] == [b["id"], a["id"]]
    timeline = (await open_.api("GET", f"/v1/contacts/{b['id']}", ADMIN))["timeline"]
    assert timeline[-1]["event"] == "flags_added" and timeline[-1]["by"] == "admin"
    spec = await open_.api("GET", "/v1/openapi.json", ADMIN)
    assert "/v1/contacts/{id}/flags" in spec["paths"]
