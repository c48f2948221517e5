"""In headless Chromium: a person chats from the widget, a responder answers in the console, quick exit."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Route, ViewportSize, expect

from tests.channels.conftest_web import TOKENS, check_png, chromium, running

PHONE = ViewportSize(width=390, height=844)
SHOTS = ("1-person-queued", "2-console-offer", "3-person-talking", "4-console-talking", "5-after-quick-exit")
NEUTRAL = "<html><head><title>Weather</title></head><body><p>Weather today: sunny</p></body></html>"


async def neutral_site(route: Route) -> None:
    # The test machine has no internet: the quick-exit destination is answered locally.
    await route.fulfill(status=200, content_type="text/html", body=NEUTRAL)


async def test_person_and_responder_talk_then_quick_exit_leaves_no_trace(tmp_path: Path) -> None:
    async with running() as stack, chromium() as browser:
        person_ctx = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        await person_ctx.route("https://www.google.com/**", neutral_site)
        person = await person_ctx.new_page()
        await person.goto(stack.base + "/channels/chat/demo")
        await expect(person.locator("#snc-quick-exit")).to_be_visible()
        await person.click("#snc-open")
        await expect(person.locator("#snc-status")).to_have_attribute("data-status", "new")
        await person.fill("#snc-input", "I'm scared to go home tonight")
        await person.click("#snc-send")
        await expect(person.locator("#snc-status")).to_contain_text("in the queue")
        await person.screenshot(path=tmp_path / "1-person-queued.png")
        [contact_id] = list(stack.chat.by_contact)

        responder_ctx = await browser.new_context(viewport=PHONE)
        console = await responder_ctx.new_page()
        await console.goto(stack.base + "/console")
        await console.fill("#token", TOKENS["ana"])
        await console.click("#signin-form button")
        accept = console.locator("[data-offer] button.accept")
        await expect(accept).to_be_visible()
        await expect(console.locator("#live")).to_have_text("live")
        await console.screenshot(path=tmp_path / "2-console-offer.png")
        await accept.click()

        card = console.locator("article.contact")
        await expect(card).to_contain_text("I'm scared to go home tonight")
        reply = "Hi, I'm Ana. <b>You can talk to me here.</b>"
        await card.locator("textarea.reply").fill(reply)
        await card.locator("button.send").click()
        # Shown exactly as written: markup from the network is text, never HTML.
        await expect(person.locator(".snc-out .snc-body")).to_have_text(reply)
        await expect(person.locator("#snc-status")).to_have_attribute("data-status", "answered")

        await person.fill("#snc-input", "Thank you. He is coming back at 9.")
        await person.click("#snc-send")
        await expect(card.locator(".msg.in").last).to_contain_text(
            "He is coming back at 9."
        )  # live, no reload
        await person.screenshot(path=tmp_path / "3-person-talking.png")
        await console.screenshot(path=tmp_path / "4-console-talking.png")

        # The connection drops (a phone switching networks): the widget resumes the same chat.
        for session in list(stack.chat.sessions.values()):
            for ws in list(session.sockets):
                await ws.close()
        await card.locator("textarea.reply").fill("Are you still there?")
        await card.locator("button.send").click()
        await expect(person.locator(".snc-msg")).to_have_count(4)
        await expect(person.locator(".snc-out .snc-body").last).to_have_text("Are you still there?")

        assert await person.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [
            0,
            0,
            "",
        ]
        history = await person.evaluate("history.length")
        await person.click("#snc-quick-exit")
        await person.wait_for_url("https://www.google.com/**")
        await expect(person.locator("body")).to_have_text("Weather today: sunny")
        assert await person.evaluate("history.length") == history, "quick exit must not add a way back"
        stored = await person_ctx.storage_state()
        assert stored["cookies"] == []
        assert all(not origin["localStorage"] for origin in stored["origins"])
        await person.screenshot(path=tmp_path / "5-after-quick-exit.png")

        # Answered already, so leaving does not abandon: the responder closes with a disposition.
        await card.locator("details.closing summary").click()  # the close form is folded
        await card.locator("select.disposition").select_option("safety_plan")
        await card.locator(".field.safety-plan textarea").fill(
            "stays with her sister tonight; code word agreed"
        )
        await card.locator("button.close").click()
        await expect(console.locator("#no-contacts")).to_be_visible()
        done = await stack.service.engine.get_contact(contact_id)
        assert done.status.value == "closed"
        assert done.disposition == "safety_plan"
        assert done.answered_at is not None
        assert [m.direction for m in done.messages] == ["in", "out", "in", "out"]

    for name in (
        "1-person-queued",
        "2-console-offer",
        "3-person-talking",
        "4-console-talking",
        "5-after-quick-exit",
    ):
        check_png(tmp_path / f"{name}.png")
