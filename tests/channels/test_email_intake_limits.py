"""Mail is never lost to its shape: large bodies read whole, malformed headers kept, repeats stored once."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import smtplib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from router import transitions
from router.channels.email import SECRET_HEADER, inbound_secret
from router.channels.email.webhook import MAX_MESSAGE
from tests.channels.conftest_web import HOTLINE, Stack, running
from tests.redis_server import redis_server

PERSON = "sam.person@example.org"
TEXT = "I am scared to go home tonight. Please write back."


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running() as s:
        yield s


def raw_mail(
    text: str = TEXT,
    message_id: str | None = "<first.1@example.org>",
    attachment: int = 0,
    sender: str = PERSON,
) -> bytes:
    """A message as a mail client writes it; `attachment` bytes of a PDF go BEFORE the text part."""
    lines = [f"From: Sam <{sender}>", f"To: {HOTLINE}", "Subject: help", "MIME-Version: 1.0"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    if not attachment:
        lines += ["Content-Type: text/plain; charset=utf-8", "", text, ""]
        return "\r\n".join(lines).encode()
    data = base64.encodebytes(os.urandom(attachment)).decode().replace("\n", "\r\n")
    lines += [
        'Content-Type: multipart/mixed; boundary="BOUNDARY"',
        "",
        "--BOUNDARY",
        'Content-Type: application/pdf; name="scan.pdf"',
        'Content-Disposition: attachment; filename="scan.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        data,
        "--BOUNDARY",
        "Content-Type: text/plain; charset=utf-8",
        "",
        text,
        "--BOUNDARY--",
        "",
    ]
    return "\r\n".join(lines).encode()


async def post(stack: Stack, body: Any, **headers: str) -> tuple[int, dict[str, Any]]:
    secret = inbound_secret(stack.service.settings)
    assert secret
    if isinstance(body, bytes):
        body = io.BytesIO(body)  # sent with its Content-Length, without holding the loop
    async with stack.http.post(
        stack.base + "/channels/email/inbound", data=body, headers={SECRET_HEADER: secret, **headers}
    ) as response:
        return response.status, await response.json()


async def smtp(stack: Stack, raw: bytes) -> tuple[int, bytes]:
    """Deliver raw bytes over SMTP; the server's answer to DATA."""

    def deliver() -> tuple[int, bytes]:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as client:
            client.ehlo()
            client.mail(PERSON)
            client.rcpt(HOTLINE)
            return client.data(raw)

    return await asyncio.to_thread(deliver)


async def finish(stack: Stack, contact_id: str) -> None:
    """Answer and close the conversation, as a responder would (no callback task follows)."""
    engine = stack.service.engine
    [offer] = [o for o in await engine.offers_for(None, "pending") if o.contact_id == contact_id]
    await engine.accept(offer.id, by=offer.responder)
    await engine.send_message(contact_id, "We are here. Are you safe right now?", offer.responder)
    await engine.close(contact_id, "support_given", None, offer.responder, {})


async def email_contacts(stack: Stack) -> list[Any]:
    store = stack.service.store
    return [c for c in await store.get_contacts(await store.open_contacts()) if c.channel == "email"]


async def test_text_after_a_300k_attachment_is_kept(stack: Stack) -> None:
    raw = raw_mail(attachment=300_000)
    assert len(raw) > 64 * 1024 * 5  # far more than one read of the socket buffer returns
    status, answer = await post(stack, raw)
    assert status == 202, answer
    [contact] = await email_contacts(stack)
    assert answer["contact_id"] == contact.id
    body = contact.messages[0].body
    assert body.startswith(TEXT)
    assert "[attachment: scan.pdf (application/pdf, 300000 bytes)]" in body


async def test_over_smtp_too_the_text_after_an_attachment_is_kept_and_27_mb_refused(stack: Stack) -> None:
    code, reply = await smtp(stack, raw_mail(attachment=300_000))
    assert code == 250, reply
    [contact] = await email_contacts(stack)
    assert contact.messages[0].body.startswith(TEXT)
    code, _ = await smtp(stack, raw_mail(message_id="<big@example.org>", attachment=20 * 1024 * 1024))
    assert code == 552  # aiosmtpd's size limit: a permanent refusal the sender sees as a bounce
    assert len(await email_contacts(stack)) == 1


async def test_a_streamed_body_is_read_to_its_end(stack: Stack) -> None:
    raw = raw_mail(attachment=200_000)

    async def chunks() -> AsyncIterator[bytes]:  # chunked transfer: no Content-Length to trust
        for i in range(0, len(raw), 10_000):
            yield raw[i : i + 10_000]
            await asyncio.sleep(0)

    status, _ = await post(stack, chunks())
    assert status == 202
    [contact] = await email_contacts(stack)
    assert contact.messages[0].body.startswith(TEXT)


async def test_a_27_mb_message_is_refused_with_413(stack: Stack) -> None:
    raw = raw_mail(attachment=20 * 1024 * 1024)  # base64 makes it about 27 MB
    assert len(raw) > MAX_MESSAGE
    status, answer = await post(stack, raw)
    assert status == 413
    assert answer["error"]["code"] == "too_large"
    assert str(MAX_MESSAGE) in answer["error"]["message"]
    assert await email_contacts(stack) == []


@pytest.mark.parametrize("message_id", ["<a@", "<>", "<a@[b>", "not an id at all"])
async def test_a_malformed_message_id_never_blocks_the_message(stack: Stack, message_id: str) -> None:
    code, reply = await smtp(stack, raw_mail(message_id=message_id))
    assert code == 250, reply
    [contact] = await email_contacts(stack)
    assert contact.messages[0].body == TEXT
    assert contact.ref == message_id  # the raw value is kept

    # The same message again is a repeat (known by its raw header), over SMTP or the webhook.
    code, reply = await smtp(stack, raw_mail(message_id=message_id))
    assert code == 250
    status, answer = await post(stack, raw_mail(message_id=message_id, sender="other@example.org"))
    assert (status, answer["outcome"]) == (202, "duplicate")
    [again] = await email_contacts(stack)
    assert len(again.messages) == 1


async def test_a_repeated_message_id_is_stored_once(stack: Stack) -> None:
    status, first = await post(stack, raw_mail())
    assert (status, first["outcome"]) == (202, "created")
    status, again = await post(stack, raw_mail())
    assert (status, again["outcome"]) == (202, "duplicate")
    # A second message joins the conversation; repeating it appends nothing either.
    second = raw_mail("And my phone is being watched.", message_id="<second.2@example.org>")
    assert (await post(stack, second))[1]["outcome"] == "joined"
    assert (await post(stack, second))[1]["outcome"] == "duplicate"
    assert (await smtp(stack, second))[0] == 250
    [contact] = await email_contacts(stack)
    assert [m.body for m in contact.messages] == [TEXT, "And my phone is being watched."]

    # After the conversation is over, a repeat still does not start a new contact.
    await finish(stack, contact.id)
    assert (await post(stack, raw_mail()))[1]["outcome"] == "duplicate"
    assert await email_contacts(stack) == []


async def test_the_store_down_is_the_only_temporary_failure() -> None:
    with redis_server() as redis:
        async with running(redis_url=redis.url) as stack:
            redis.stop()
            code, _ = await smtp(stack, raw_mail())
            assert code == 451  # the sender's server keeps the message and tries again
            status, answer = await post(stack, raw_mail())
            assert status == 503 and answer["error"]["code"] == "store_unavailable"
            redis.start()
            code, _ = await smtp(stack, raw_mail())
            assert code == 250
            status, answer = await post(stack, raw_mail())
            assert answer["outcome"] == "duplicate"
            [contact] = await email_contacts(stack)
            assert [m.body for m in contact.messages] == [TEXT]


async def test_a_flooding_sender_gets_no_new_queue_entries(stack: Stack) -> None:
    engine = stack.service.engine
    # Each message is finished by a responder before the next: no wrap-up pause between them.
    engine.protocol = engine.protocol.model_copy(update={"wrap_up": timedelta(0)})
    limit = engine.sender_limit = 3
    for n in range(limit):
        assert (await post(stack, raw_mail(f"message {n}", message_id=f"<m{n}@example.org>")))[0] == 202
        [contact] = await email_contacts(stack)
        await finish(stack, contact.id)
    status, answer = await post(stack, raw_mail("one more", message_id="<more@example.org>"))
    assert status == 429 and answer["error"]["code"] == "too_many_contacts"
    code, reply = await smtp(stack, raw_mail("one more", message_id="<more@example.org>"))
    assert code == 450, reply  # the sender's server tries again later: nothing is lost
    assert await email_contacts(stack) == []
    # Someone else is not affected.
    other = raw_mail(message_id="<other@example.org>", sender="someone.else@example.org")
    assert (await post(stack, other))[1]["outcome"] == "created"


async def test_the_webhook_is_not_under_the_json_limit(stack: Stack) -> None:
    """A 2 MB message is over the API's JSON limit (1 MiB) but well within the mail limit."""
    status, _ = await post(stack, raw_mail(attachment=1_500_000), **{"Content-Type": "message/rfc822"})
    assert status == 202
    async with aiohttp.ClientSession() as http:
        big = io.BytesIO(b"{" + b" " * 1_000_000 + b"}")
        async with http.post(stack.base + "/v1/contacts", data=big) as response:
            assert response.status in (401, 413)


async def test_a_mail_loop_into_one_conversation_is_kept_no_further(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 2)
    status, first = await post(stack, raw_mail("first", "<loop.1@example.org>"))
    assert status == 202 and first["outcome"] == "created"
    status, joined = await post(stack, raw_mail("second", "<loop.2@example.org>"))
    assert status == 202 and joined["outcome"] == "joined"
    status, full = await post(stack, raw_mail("third", "<loop.3@example.org>"))
    assert status == 200 and full == {
        "outcome": "dropped",
        "contact_id": first["contact_id"],
        "reason": "conversation_full",
    }  # accepted and dropped: the provider does not deliver it again
    code, said = await smtp(stack, raw_mail("fourth", "<loop.4@example.org>"))
    assert code == 250 and b"dropped" in said
    [contact] = await email_contacts(stack)
    assert [m.body for m in contact.messages] == ["first", "second"]
