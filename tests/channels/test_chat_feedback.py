"""Chat feedback: one optional question after the conversation, answered in the widget, counted
with nothing that links it to the chat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import ViewportSize, expect

import protocols
from protocols import parse_protocol
from router import feedback
from tests.channels.conftest_web import TOKENS, Stack, check_png, chromium, running
from tests.channels.test_chat_socket import Person, contact_of

PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=800)


def protocol_file(tmp_path: Path) -> str:
    """The default protocol without its overnight rule (it flags chats handle-with-care, and
    then no question is asked: the test must not depend on the hour it runs at) and without
    wrap-up (one responder takes chat after chat)."""
    text = (Path(protocols.__file__).parent / "default.yaml").read_text()
    start = text.index("  - name: overnight-text")
    text = text[:start] + text[text.index("# Standards 27 and 28", start) :]
    path = tmp_path / "protocol.yaml"
    path.write_text(text.replace("wrap_up: 2m", "wrap_up: 0s"))
    assert parse_protocol(path.read_text()).wrap_up == timedelta(0)
    return str(path)


async def talked_and_closed(stack: Stack, cid: str) -> None:
    [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
    await stack.api("POST", f"/v1/offers/{offer['id']}/accept", TOKENS["ana"])
    await stack.api("POST", f"/v1/contacts/{cid}/messages", TOKENS["ana"], {"body": "I'm Ana."})
    await stack.api("POST", f"/v1/contacts/{cid}/close", TOKENS["ana"], {"disposition": "support_given"})


async def test_chat_feedback_is_asked_once_and_counted(tmp_path: Path) -> None:
    async with running(protocol=protocol_file(tmp_path)) as stack:
        person = await Person.connect(stack)
        await person.say("I need to talk")
        cid = await contact_of(stack, person)
        await talked_and_closed(stack, cid)
        state = await person.until(lambda s: "feedback" in s)
        assert state["status"] == "closed" and state["feedback"]["scale"] == ["1", "2", "3", "4", "5"]
        assert "did this conversation help" in state["feedback"]["question"]
        await person.ws.send_json({"type": "feedback", "answer": "5"})
        thanked = await person.until(lambda s: s.get("feedback_thanks"))
        assert "feedback" not in thanked
        await person.ws.send_json({"type": "feedback", "answer": "1"})  # a second answer is not counted
        engine = stack.service.engine
        today = engine.protocol.local(engine.clock.now()).date()
        report = await feedback.report(engine.store, engine.protocol, today - timedelta(days=1), today)
        assert report["answers"] == 1 and report["total"]["5"] == 1


async def test_widget_shows_the_question_at_phone_and_desktop_size(tmp_path: Path) -> None:
    async with running(protocol=protocol_file(tmp_path)) as stack, chromium() as browser:
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            ctx = await browser.new_context(viewport=size)
            page = await ctx.new_page()
            await page.goto(stack.base + "/channels/chat/demo")
            await page.click("#snc-open")
            await page.fill("#snc-input", f"hello from the {name}")
            await page.click("#snc-send")
            await expect(page.locator("#snc-status")).to_contain_text("in the queue")
            [cid] = list(stack.chat.by_contact)
            await talked_and_closed(stack, cid)
            buttons = page.locator("#snc-feedback button")
            await expect(buttons).to_have_count(5)
            shot = tmp_path / f"feedback-{name}.png"
            await page.screenshot(path=shot)
            check_png(shot)
            await buttons.nth(3).click()
            await expect(page.locator("#snc-feedback")).to_contain_text("Thank you")
            await page.screenshot(path=tmp_path / f"feedback-{name}-thanks.png")
            await ctx.close()
