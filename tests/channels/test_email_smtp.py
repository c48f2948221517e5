"""Mail into SafetyNet's SMTP server from Python's smtplib: new contacts, threading, machine mail."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from structlog.testing import capture_logs

from router.channels.email import contact_of
from tests.channels.conftest_web import HOTLINE, Stack, running

PERSON = "sam.person@example.org"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running() as s:
        yield s


def mail(
    body: str = "I need to talk to someone about my situation.",
    sender: str = PERSON,
    subject: str = "Need help",
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = HOTLINE
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def send(stack: Stack, msg: EmailMessage, envelope_from: str | None = None) -> None:
    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as client:
            client.send_message(msg, from_addr=envelope_from)

    await asyncio.to_thread(deliver)


async def open_email_contacts(stack: Stack) -> list[str]:
    store = stack.service.store
    return [c.id for c in await store.get_contacts(await store.open_contacts()) if c.channel == "email"]


async def test_new_mail_becomes_a_contact_and_is_acknowledged_in_thread(stack: Stack) -> None:
    first = mail()
    await send(stack, first)
    [cid] = await open_email_contacts(stack)
    contact = await stack.api("GET", f"/v1/contacts/{cid}")
    assert contact["channel"] == "email"
    assert contact["subject"] == "Need help"
    assert contact["messages"][0]["body"] == "I need to talk to someone about my situation."
    assert contact["status"] in ("queued", "offered")

    [ack] = await stack.sink.wait_for(1)
    assert ack["To"] == PERSON
    assert "help@hotline.test" in ack["From"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == first["Message-ID"]
    assert contact_of(ack["Message-ID"], "hotline.test") == cid
    assert ack["Subject"] == "Re: Need help"


async def test_replies_join_by_threading_headers_or_by_sender(stack: Stack) -> None:
    await send(stack, mail())
    [ack] = await stack.sink.wait_for(1)
    [cid] = await open_email_contacts(stack)

    # A reply to the acknowledgement, threaded the way mail clients do it.
    await send(
        stack,
        mail("Thank you. I am safe for now.", In_Reply_To=ack["Message-ID"], References=ack["Message-ID"]),
    )
    # A new message from the same person with no threading headers still finds their open contact.
    await send(stack, mail("One more thing.", subject="another subject"))

    assert await open_email_contacts(stack) == [cid]
    contact = await stack.service.engine.get_contact(cid)
    assert [m.body for m in contact.messages] == [
        "I need to talk to someone about my situation.",
        "Thank you. I am safe for now.",
        "One more thing.",
    ]
    assert len(stack.sink.messages) == 1, "only the first message is acknowledged"


async def test_someone_else_quoting_the_thread_does_not_join_it(stack: Stack) -> None:
    await send(stack, mail())
    [ack] = await stack.sink.wait_for(1)
    await send(stack, mail("I saw this email", sender="other@example.net", In_Reply_To=ack["Message-ID"]))
    assert len(await open_email_contacts(stack)) == 2


async def test_quoted_text_of_a_reply_is_left_out(stack: Stack) -> None:
    await send(stack, mail())
    [ack] = await stack.sink.wait_for(1)
    quoted = "Yes please call me.\n\nOn Mon, 5 Jan 2026, Hotline wrote:\n> Thank you for writing"
    await send(stack, mail(quoted, In_Reply_To=ack["Message-ID"]))
    [cid] = await open_email_contacts(stack)
    contact = await stack.service.engine.get_contact(cid)
    assert contact.messages[-1].body == "Yes please call me."


async def test_a_bounce_creates_nothing_and_is_not_answered(stack: Stack) -> None:
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    bounce["To"] = HOTLINE
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce.set_content("This is the mail system. Your message could not be delivered.")
    await send(stack, bounce, envelope_from="")
    assert await open_email_contacts(stack) == []
    await stack.mail.mailer.drain()
    assert stack.sink.messages == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
        {"List_Id": "<news.example.org>"},
    ],
)
async def test_auto_replies_and_lists_create_nothing(stack: Stack, headers: dict[str, str]) -> None:
    await send(stack, mail("I am out of the office until Monday.", subject="Out of office", **headers))
    assert await open_email_contacts(stack) == []
    await stack.mail.mailer.drain()
    assert stack.sink.messages == [], "never answer an auto-reply: that is how mail loops start"


async def test_mail_for_another_domain_is_refused(stack: Stack) -> None:
    msg = mail()
    del msg["To"]
    msg["To"] = "someone@elsewhere.example"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await send(stack, msg)


async def test_html_only_mail_is_read_as_text_and_attachments_as_metadata(stack: Stack) -> None:
    msg = mail("plain placeholder")
    msg.clear_content()
    msg.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Please <b>help</b> me</p><p>I am scared</p></body></html>",
        subtype="html",
    )
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="report.pdf")
    await send(stack, msg)
    [cid] = await open_email_contacts(stack)
    body = (await stack.service.engine.get_contact(cid)).messages[0].body
    assert "Please help me" in body
    assert "I am scared" in body
    assert "alert" not in body and "color" not in body and "<" not in body.split("[attachment")[0]
    assert "[attachment: report.pdf (application/pdf, 13 bytes)]" in body


async def test_the_person_s_address_and_words_stay_out_of_logs(stack: Stack) -> None:
    with capture_logs() as logs:
        await send(stack, mail("my secret words"))
        await stack.mail.mailer.drain()
    text = repr(logs)
    assert PERSON not in text
    assert "my secret words" not in text
    assert any(entry["event"] == "email_sent" for entry in logs)
