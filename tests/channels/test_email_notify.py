"""`notify_via: email`: offers, pages and reminders reach the responder through the real relay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from router.models import Responder
from tests.channels.conftest_web import Stack, running

ANA_MAIL = "ana@staff.test"
PERSON = "+15550007777"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running() as s:
        engine = s.service.engine
        await engine.put_responder(
            Responder(id="ana", name="Ana", languages=["en", "es"], email=ANA_MAIL, notify_via="email")
        )
        yield s


async def test_offer_page_and_reminder_go_by_email(stack: Stack) -> None:
    engine = stack.service.engine
    created = await stack.api(
        "POST", "/v1/contacts", body={"channel": "sms", "from": PERSON, "body": "help me"}
    )
    [offer_mail] = await stack.sink.wait_for(1)
    assert offer_mail["To"] == ANA_MAIL
    assert offer_mail["Subject"].startswith("[") and "Offer: sms contact" in offer_mail["Subject"]
    body = offer_mail.get_content()
    assert created["id"] in body and PERSON not in body and "help me" not in body
    assert stack.sink.envelopes[0][1] == [ANA_MAIL]

    contact = await engine.get_contact(created["id"])
    await engine.page(contact, ["primary"], ["email"], "escalation")
    ana = await engine.store.get_responder("ana")
    assert ana is not None
    await engine.notifier.notice(ana, "Reminder: your primary shift starts at Tue 09:00 EST.")
    await stack.mail.mailer.drain()
    mails = await stack.sink.wait_for(3)
    # The outbox sends what falls due together side by side: find each by what it is.
    [page] = [m for m in mails[1:] if "Page" in m["Subject"]]
    [reminder] = [m for m in mails[1:] if "Page" not in m["Subject"]]
    assert "Page (escalation)" in page["Subject"] and PERSON not in page.get_content()
    assert reminder.get_content().strip() == "Reminder: your primary shift starts at Tue 09:00 EST."
    assert all(m["To"] == ANA_MAIL for m in mails)


async def test_console_responders_get_no_mail(stack: Stack) -> None:
    engine = stack.service.engine
    await engine.put_responder(Responder(id="ana", name="Ana", email=ANA_MAIL, notify_via="console"))
    await stack.api("POST", "/v1/contacts", body={"channel": "sms", "from": PERSON, "body": "hello"})
    await stack.mail.mailer.drain()
    assert stack.sink.envelopes == []
