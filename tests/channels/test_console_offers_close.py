"""In headless Chromium: an offer card that counts down live, and closing a minor-flagged
contact with a mandated report from a phone-sized console."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Locator, Page, ViewportSize, expect

from router.clock import VirtualClock
from tests.channels.conftest_web import TOKENS, Stack, check_png, chromium, running

PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)
PERSON = "+15557770123"
WORDS = "I am 15 and I am scared to go home"


def seconds_left(text: str) -> int:
    found = re.search(r"passes on in (\d+):(\d\d)", text)
    assert found, text
    return int(found[1]) * 60 + int(found[2])


async def sign_in(page: Page, stack: Stack, token: str) -> None:
    await page.goto(stack.base + "/console")
    await page.fill("#token", token)
    await page.click("#signin-form button")
    await expect(page.locator("#live")).to_have_text("live")


async def ticked(page: Page, card: Locator, ms: int) -> tuple[int, int]:
    """The countdown before and after the page's clock runs on `ms`, in a step with no read of
    the offers list in it."""
    for _ in range(5):
        draws = await page.evaluate("window.SafetyNet.offers.draws")
        before = seconds_left(await card.locator(".countdown").inner_text())
        await page.clock.run_for(ms)
        after = seconds_left(await card.locator(".countdown").inner_text())
        if await page.evaluate("window.SafetyNet.offers.draws") == draws:
            return before, after
    raise AssertionError("the offers list was read again in every step")


async def minor_chat(stack: Stack) -> str:
    """A chat from a minor in Spanish; ben is away, so it is offered to ana."""
    created = await stack.api(
        "POST",
        "/v1/contacts",
        body={"channel": "chat", "from": PERSON, "body": WORDS, "language": "es", "flags": ["minor"]},
    )
    return str(created["id"])


async def test_an_offer_card_counts_down_live_and_shows_no_personal_data(tmp_path: Path) -> None:
    async with running() as stack, chromium() as browser:
        await stack.service.engine.set_presence("ben", "away")
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.clock.install()
        await sign_in(page, stack, TOKENS["ana"])
        cid = await minor_chat(stack)

        card = page.locator("[data-offer]")
        await expect(card).to_have_count(1)
        await expect(card).to_contain_text("chat")
        await expect(card).to_contain_text("es")
        await expect(card).to_contain_text("minor")
        await expect(card.locator(".waited")).to_have_text(re.compile(r"^waiting \d+ s$"))
        await expect(card.locator(".countdown")).to_have_text(re.compile(r"passes on in (1:00|0:5\d)"))
        text = await card.inner_text()
        assert PERSON not in text and "scared" not in text, "the card carries no personal data"
        # The new offer was announced (sound and notification go through one counter); signing
        # in was the click that let the page make sound.
        await expect(page.locator("body")).to_have_attribute("data-alerts", "1")
        assert await page.evaluate("window.SafetyNet.alerts.sound()") == "running"

        # The page's own clock moves on 7 s, then 2 s: the countdown ticks down without a reload.
        # (A read of the list, which a feed event can bring at any moment, re-anchors it on the
        # server's clock, which has not moved on: a step with one in it is taken again.)
        first, second = await ticked(page, card, 7000)
        assert 6 <= first - second <= 8, (first, second)
        second, third = await ticked(page, card, 2000)
        assert 1 <= second - third <= 3, (second, third)
        await page.screenshot(path=tmp_path / "offer-390.png")
        await page.set_viewport_size(DESKTOP)
        await page.screenshot(path=tmp_path / "offer-1280.png")

        offers = await stack.api("GET", "/v1/offers", TOKENS["ana"])
        # "minor" as sent; between 22:00 and 06:00 in the hotline's zone the overnight-text rule
        # adds handle_with_care (this test runs on the real clock, at whatever hour CI runs it).
        engine = stack.service.engine
        hour = engine.clock.now().astimezone(ZoneInfo(engine.protocol.timezone)).hour
        overnight = hour >= 22 or hour < 6
        assert offers[0]["contact"]["flags"] == (["minor", "handle_with_care"] if overnight else ["minor"])
        assert offers[0]["contact_id"] == cid

        # Presence from the console: away, and back.
        await expect(page.locator("#presence-available")).to_have_attribute("aria-pressed", "true")
        await page.click("#presence-away")
        await expect(page.locator("#presence-away")).to_have_attribute("aria-pressed", "true")
        assert (await stack.service.store.presence())["ana"] == "away"
        await page.click("#presence-available")
        await expect(page.locator("#presence-available")).to_have_attribute("aria-pressed", "true")
        assert (await stack.service.store.presence())["ana"] == "available"
        # A break: the protocol's length, counted down; coming back early ends it.
        await page.click("#presence-break")
        await expect(page.locator("#presence-break")).to_have_attribute("aria-pressed", "true")
        await expect(page.locator("#presence-state")).to_have_text(re.compile(r"^Break: \d+:\d\d left$"))
        assert (await stack.service.store.presence())["ana"] == "away"
        await page.click("#presence-available")
        await expect(page.locator("#presence-state")).to_have_text("")
        await expect(page.locator("#presence-break")).to_have_attribute("aria-pressed", "false")
    check_png(tmp_path / "offer-390.png")
    check_png(tmp_path / "offer-1280.png")


async def test_a_minor_flagged_contact_closes_with_a_mandated_report_at_phone_size(tmp_path: Path) -> None:
    async with running() as stack, chromium() as browser:
        await stack.service.engine.set_presence("ben", "away")
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await sign_in(page, stack, TOKENS["ana"])
        cid = await minor_chat(stack)
        await page.locator("[data-offer] button.accept").click()
        card = page.locator(f"article[data-contact='{cid}']")
        await card.locator("textarea.reply").fill("Estoy aquí. Estás a salvo hablando conmigo.")
        await card.locator("button.send").click()
        await expect(card.locator(".msg.out")).to_have_count(1)

        # Flags a responder may still add (the ones the contact has are not offered again).
        await card.locator("details.tools summary").click()
        flag_choices = await card.locator("select.add-flag option").all_inner_texts()
        assert "Possible trafficking" in flag_choices and "Minor (under 18)" not in flag_choices
        assert await card.locator("select.raise-priority option").all_inner_texts() == [
            "Keep high",
            "critical",
        ]
        await expect(card.locator(".reassign-row")).to_be_hidden()  # hand-over is the supervisor's
        await card.locator("details.tools").screenshot(path=tmp_path / "tools-390.png")

        # The close form is folded until wanted; its summary says a mandated report is due.
        closing = card.locator("details.closing")
        await expect(closing.locator("summary")).to_contain_text("mandated report needed")
        await closing.locator("summary").click()
        form = card.locator("form.close-form")
        mandated = form.locator("fieldset.mandated")
        await expect(mandated).to_be_visible()
        # Dispositions by their labels; the recorded value is the protocol's id.
        await form.locator("select.disposition").select_option(label="Referred to a partner")
        referral = form.locator("select.referral")
        await expect(referral).to_be_visible()
        assert "National Domestic Violence Hotline" in await referral.inner_text()

        # Closing with nothing filled in: the API's problems appear at the card, by field.
        await form.locator("button.close").click()
        await expect(form.locator(".form-error")).to_contain_text("Not closed yet: 5 fields need attention")
        await expect(form.locator(".item-to .problem")).to_have_text("Required for the mandated report.")
        await expect(form.locator(".field.referral .problem")).to_contain_text("partner")
        await expect(form.locator(".item-to textarea")).to_have_attribute("aria-invalid", "true")
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=tmp_path / "close-errors-390.png", full_page=True)

        # Every field is whole on a 390-px screen: inside the card, nothing cut off.
        widths = await form.evaluate(
            """form => {
                const box = form.getBoundingClientRect();
                return [...form.querySelectorAll('input, select, textarea, button')]
                  .filter(e => e.offsetParent !== null)
                  .map(e => { const r = e.getBoundingClientRect();
                              return [e.name || e.className, r.left >= box.left - 0.5,
                                      r.right <= box.right + 0.5, e.scrollWidth <= e.clientWidth + 1]; });
            }"""
        )
        assert widths and all(inside_l and inside_r for _, inside_l, inside_r, _ in widths), widths
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390

        await referral.select_option("ndvh")
        await expect(form.locator(".field.referral .problem")).to_have_text("")
        await form.locator(".item-what textarea").fill("Disclosure of abuse at home by a parent")
        await form.locator(".suggestions button", has_text="Child Protective Services").click()
        await form.locator("button.now").click()  # reported just now
        await expect(form.locator(".item-when input")).not_to_have_value("")
        await form.locator(".item-reference textarea").fill("CPS-2026-0042")
        await form.locator(".item-client_informed textarea").fill("Yes: told her why, and what happens next")
        await form.locator(".field.notes textarea").fill("Safe to talk, at a friend's house")
        # Each problem went away as its field was answered, and so did the summary.
        await expect(form.locator("[aria-invalid]")).to_have_count(0)
        await expect(form.locator(".form-error")).to_have_text("")
        overflowing = await form.evaluate(
            """form => [...form.querySelectorAll('input, textarea')]
                 .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
                 .map(e => e.name || e.className)"""
        )
        assert overflowing == [], f"cut-off text in {overflowing}"
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=tmp_path / "close-filled-390.png", full_page=True)
        await page.set_viewport_size(DESKTOP)
        await page.screenshot(path=tmp_path / "close-filled-1280.png", full_page=True)
        await form.locator("button.close").click()
        await expect(card).to_have_count(0)
        await expect(page.locator("#notice")).to_have_text("")
        # The protocol's wrap-up (2 minutes) starts at the close: no offers, and the time left shown.
        await expect(page.locator("#presence-state")).to_have_text(re.compile(r"^Wrap-up: [12]:\d\d left$"))
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=tmp_path / "wrap-up-390.png")

        contact = await stack.service.engine.get_contact(cid)
        assert contact.status == "closed" and contact.disposition == "referral"
        assert contact.outcome["referral"] == {"partner": "ndvh"}
        report = contact.outcome["mandated_report"]
        assert report["reference"] == "CPS-2026-0042"
        assert report["to"].endswith("Child Protective Services")
        reported = datetime.fromisoformat(report["when"])
        assert abs(reported - datetime.now(UTC)) < timedelta(minutes=5), "recorded as an instant"
    for name in ("tools-390", "wrap-up-390", "close-errors-390", "close-filled-390", "close-filled-1280"):
        check_png(tmp_path / f"{name}.png")


async def test_an_offer_widened_for_language_shows_the_interpreter_line(tmp_path: Path) -> None:
    clock = VirtualClock(datetime.now(UTC).replace(microsecond=0))
    async with running(clock=clock) as stack, chromium() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await sign_in(page, stack, TOKENS["ana"])
        # Nobody on call speaks Tigrinya: after the protocol's fallback wait, anyone may take it.
        await stack.api("POST", "/v1/contacts", body={"channel": "chat", "from": PERSON, "language": "ti"})
        await expect(page.locator("[data-offer]")).to_have_count(0)
        for step in (60, 61):  # the default protocol's fallback comes at 2 minutes
            await clock.advance(step)
            await stack.service.runner.fire_due()
        card = page.locator("[data-offer]")
        interpreter = stack.service.engine.protocol.language_fallback
        assert interpreter is not None and interpreter.interpreter
        await page.reload()  # on the virtual clock the live feed is not running: read afresh
        await expect(card.locator(".interpreter")).to_have_text("Interpreter: " + interpreter.interpreter)
        await expect(card).to_contain_text("ti")
        await page.screenshot(path=tmp_path / "offer-interpreter-390.png")
    check_png(tmp_path / "offer-interpreter-390.png")
