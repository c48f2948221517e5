"""Replies out through a real SMTP relay (an aiosmtpd sink), and the inbound-mail webhook."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from structlog.testing import capture_logs

from router.channels.email import SECRET_HEADER, RelayTransport, contact_of, inbound_secret
from tests.channels.conftest_web import HOTLINE, TOKENS, Stack, running

PERSON = "river@example.org"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running() as s:
        yield s


def mail(body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"River <{PERSON}>"
    msg["To"] = HOTLINE
    msg["Subject"] = "Question"
    msg["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def send(stack: Stack, msg: EmailMessage) -> None:
    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as client:
            client.send_message(msg)

    await asyncio.to_thread(deliver)


async def accepted_contact(stack: Stack, first: EmailMessage) -> str:
    """The person writes; ana (primary on call) accepts the offer through the API."""
    await send(stack, first)
    await stack.sink.wait_for(1)  # the acknowledgement
    [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
    await stack.api("POST", f"/v1/offers/{offer['id']}/accept", TOKENS["ana"])
    return str(offer["contact_id"])


async def test_a_responder_reply_goes_out_threaded_and_answers_the_contact(stack: Stack) -> None:
    first = mail("Can someone help me?")
    cid = await accepted_contact(stack, first)
    await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "Hi, I'm Ana. I'm here."})
    ack, reply = await stack.sink.wait_for(2)

    assert reply["From"] == f"Community Hotline <{HOTLINE}>"
    assert reply["To"] == PERSON
    assert reply["Subject"] == "Re: Question"
    assert reply.get_content().strip() == "Hi, I'm Ana. I'm here."
    assert contact_of(reply["Message-ID"], "hotline.test") == cid
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert reply["References"].split() == [first["Message-ID"], ack["Message-ID"]]
    assert reply["Auto-Submitted"] is None, "a person's reply is not automatic"
    assert stack.sink.envelopes[1][1] == [PERSON]

    contact = await stack.api("GET", f"/v1/contacts/{cid}", TOKENS["ana"])
    assert contact["status"] == "answered"
    assert contact["answered_at"] is not None

    # The person answers the reply: it joins the same contact by its headers.
    await send(stack, mail("Thank you Ana", In_Reply_To=reply["Message-ID"], References=reply["References"]))
    contact = await stack.api("GET", f"/v1/contacts/{cid}", TOKENS["ana"])
    assert [m["body"] for m in contact["messages"]] == [
        "Can someone help me?",
        "Hi, I'm Ana. I'm here.",
        "Thank you Ana",
    ]


async def test_a_relay_blip_is_retried(stack: Stack) -> None:
    cid = await accepted_contact(stack, mail("hello"))
    stack.sink.refuse = 1
    with capture_logs() as logs:
        await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "Hello from Ana"})
        await stack.mail.mailer.drain()
    await stack.sink.wait_for(2)
    assert [e["event"] for e in logs if e["event"].startswith("email_")] == ["email_send_retry", "email_sent"]
    assert stack.mail.mailer.failed == []


async def test_a_dead_relay_never_loses_the_contact(stack: Stack) -> None:
    cid = await accepted_contact(stack, mail("hello"))
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    stack.mail.mailer.transport = RelayTransport(f"127.0.0.1:{dead}", timeout=2)
    with capture_logs() as logs:
        await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "Are you there?"})
        await stack.mail.mailer.drain()
    assert stack.mail.mailer.failed == [cid]
    assert [e["event"] for e in logs].count("email_send_retry") == 3
    assert any(e["event"] == "email_send_failed" and e["contact_id"] == cid for e in logs)
    contact = await stack.service.engine.get_contact(cid)
    assert contact.status.value == "answered"
    assert contact.messages[-1].body == "Are you there?"


async def test_webhook_needs_the_shared_secret(stack: Stack) -> None:
    raw = mail("via a hosted provider").as_bytes()
    url = stack.base + "/channels/email/inbound"
    async with stack.http.post(url, data=raw, headers={SECRET_HEADER: "wrong"}) as response:
        assert response.status == 401
    secret = inbound_secret(stack.service.settings)
    assert secret is not None
    async with stack.http.post(url, data=raw, headers={SECRET_HEADER: secret}) as response:
        assert response.status == 202
        outcome = await response.json()
    assert outcome["outcome"] == "created"
    contact = await stack.api("GET", f"/v1/contacts/{outcome['contact_id']}")
    assert contact["channel"] == "email"

    auto = mail("I am away", Auto_Submitted="auto-replied").as_bytes()
    async with stack.http.post(url, data=auto, headers={SECRET_HEADER: secret}) as response:
        assert (await response.json())["reason"] == "auto_submitted"
    bounce = mail("undeliverable").as_bytes()
    headers = {SECRET_HEADER: secret, "X-Envelope-From": ""}
    async with stack.http.post(url, data=bounce, headers=headers) as response:
        assert (await response.json())["reason"] == "null_sender"


async def test_webhook_is_off_until_a_real_secret_key_is_set() -> None:
    async with running(secret_key="safetynet-development-key") as stack:
        url = stack.base + "/channels/email/inbound"
        async with stack.http.post(
            url, data=b"Subject: x\r\n\r\nhi", headers={SECRET_HEADER: ""}
        ) as response:
            assert response.status == 404
