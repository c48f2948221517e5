"""In headless Chromium: the supervisor's queue, and an email answered from the console."""

from __future__ import annotations

import asyncio
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from playwright.async_api import ViewportSize, expect

from router import transitions
from router.channels.email import contact_of
from router.models import ContactIn
from router.transitions import ConversationFull
from tests.channels.conftest_web import ADMIN, HOTLINE, TOKENS, check_png, chromium, running

PHONE = ViewportSize(width=390, height=844)


def first_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Jo <jo@example.org>"
    msg["To"] = HOTLINE
    msg["Subject"] = "Is this confidential?"
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content("I want to ask about my options <script>alert(1)</script>")
    return msg


async def test_supervisor_sees_the_queue_and_a_responder_answers_an_email(tmp_path: Path) -> None:
    async with running() as stack, chromium() as browser:
        engine = stack.service.engine
        await engine.set_presence("ana", "offline")
        await engine.set_presence("ben", "offline")
        msg = first_mail()

        def deliver() -> None:
            with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as client:
                client.send_message(msg)

        await asyncio.to_thread(deliver)
        [ack] = await stack.sink.wait_for(1)
        cid = contact_of(ack["Message-ID"], "hotline.test")
        assert cid is not None

        supervisor = await (await browser.new_context(viewport=PHONE)).new_page()
        await supervisor.goto(stack.base + "/console")
        await supervisor.fill("#token", ADMIN)
        await supervisor.click("#signin-form button")
        row = supervisor.locator(f"#queue tr[data-contact='{cid}']")
        await expect(row).to_contain_text("email")
        await expect(row.locator("td.waiting")).to_have_text(re.compile(r"^\d+ s$"))
        await expect(row.locator("td").last).to_have_text("0")
        await expect(supervisor.locator("#live")).to_have_text("live")
        await supervisor.screenshot(path=tmp_path / "supervisor-queue.png")

        responder = await (await browser.new_context(viewport=PHONE)).new_page()
        await responder.goto(stack.base + "/console")
        await responder.fill("#token", TOKENS["ana"])
        await responder.click("#signin-form button")
        await expect(responder.locator("#no-offers")).to_be_visible()
        await expect(responder.locator("#queue-section")).to_be_hidden()
        await expect(responder.locator("#live")).to_have_text("live")

        # Ana comes on: the offer reaches her console live, and leaves the supervisor's queue.
        await stack.api("PUT", "/v1/responders/ana/presence", TOKENS["ana"], {"status": "available"})
        await responder.locator("[data-offer] button.accept").click()
        await expect(row).to_have_count(0)
        card = responder.locator(f"article[data-contact='{cid}']")
        await expect(card).to_contain_text("Is this confidential?")
        await expect(card.locator(".msg.in")).to_contain_text("<script>alert(1)</script>")
        await card.locator("textarea.reply").fill("Yes. Everything you write here stays with us.")
        await card.locator("button.send").click()
        await expect(card.locator(".msg.out")).to_contain_text("stays with us")
        await responder.screenshot(path=tmp_path / "responder-email.png")

        _, reply = await stack.sink.wait_for(2)
        assert reply["To"] == "jo@example.org"
        assert reply["In-Reply-To"] == ack["Message-ID"]
        assert msg["Message-ID"] in reply["References"]
        assert contact_of(reply["Message-ID"], "hotline.test") == cid

        await card.locator("details.closing summary").click()  # the close form is folded

        await card.locator("select.disposition").select_option("information")
        await card.locator("button.close").click()
        await expect(card).to_have_count(0)
        contact = await stack.api("GET", f"/v1/contacts/{cid}")
        assert contact["status"] == "closed"
        assert contact["disposition"] == "information"
        assert contact["answered_at"] is not None

    check_png(tmp_path / "supervisor-queue.png")
    check_png(tmp_path / "responder-email.png")


async def test_console_refuses_a_bad_token_and_its_endpoints_need_one() -> None:
    async with running() as stack:
        for path in ("/console/whoami", "/console/contacts", "/console/events", "/console/protocol"):
            async with stack.http.get(stack.base + path) as response:
                assert response.status == 401, path
        whoami = await stack.api("GET", "/console/whoami", TOKENS["ben"])
        assert whoami.pop("at")
        assert whoami == {
            "role": "responder",
            "responder": "ben",
            "supervisor": False,
            "on_call": ["backup"],
            "presence": "available",
            "wrap_up_until": None,
            "break_until": None,
        }
        protocol = await stack.api("GET", "/console/protocol", TOKENS["ben"])
        assert "support_given" in protocol["dispositions"]
        async with stack.http.get(stack.base + "/console") as response:
            assert response.status == 200
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["Cache-Control"] == "no-store"


async def test_a_full_conversation_says_so_where_the_responder_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 2)
    async with running() as stack, chromium() as browser:
        engine = stack.service.engine
        contact = await engine.intake(ContactIn(channel="chat", sender="web-1", body="are you there"))
        [offer] = [o for o in await engine.offers_for(None, "pending") if o.contact_id == contact.id]
        await engine.accept(offer.id, offer.responder)
        await engine.receive_message(contact.id, "please answer")
        with pytest.raises(ConversationFull):
            await engine.receive_message(contact.id, "hello??")
        token = TOKENS[str(offer.responder)]
        for name, size in (("phone", PHONE), ("desktop", ViewportSize(width=1280, height=800))):
            page = await (await browser.new_context(viewport=size)).new_page()
            await page.goto(stack.base + "/console")
            await page.fill("#token", token)
            await page.click("#signin-form button")
            card = page.locator(f"article[data-contact='{contact.id}']")
            await expect(card.locator(".msg.in")).to_have_count(2)
            note = card.locator(".msg.system")
            await expect(note).to_contain_text("holds no more of their messages")
            await expect(card.locator(".msg").last).to_have_class(re.compile("system"))  # after the two
            await page.screenshot(path=tmp_path / f"full-{name}.png", full_page=True)
    check_png(tmp_path / "full-phone.png")
    check_png(tmp_path / "full-desktop.png")
