"""In headless Chromium: the supervisor on call watches a contact escalate and breach, live, on
the service's virtual clock; pages reach the console; who is on call and who is away is shown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import ViewportSize, expect

from router.api.auth import hash_token
from router.clock import VirtualClock
from router.models import Responder, TokenRecord
from router.service import Service
from schedules import Roster, Shift
from tests.channels.conftest_web import ADMIN, TOKENS, Stack, check_png, chromium, running

DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)
SUE = "tok-sue"


@contextlib.asynccontextmanager
async def views_following(service: Service) -> AsyncIterator[None]:
    """On the virtual clock the stack's service is not started (the test fires timers itself);
    the console's live feed still follows the shared stream, as in `service.start()`."""
    service.feed.position = await service.feed.start_position()
    task = asyncio.create_task(service.feed.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def with_supervisor(stack: Stack) -> None:
    """Sue joins the roster as the supervisor on call; she is reached by console only."""
    engine = stack.service.engine
    await engine.put_responder(Responder(id="sue", name="Sue", languages=["en"], notify_via="console"))
    await stack.service.store.put_token(hash_token(SUE), TokenRecord(role="responder", responder="sue"))
    start = engine.clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    end = start + timedelta(days=2)
    shifts = [
        Shift(responder=rid, role=role, start=start, end=end)
        for rid, role in (("ana", "primary"), ("ben", "backup"), ("sue", "supervisor"))
    ]
    await engine.rosters.put_draft("main", Roster(timezone="UTC", shifts=shifts), start, end)
    await engine.rosters.publish("main", start, end, False, "test")
    for rid in ("ana", "ben", "sue"):
        await engine.set_presence(rid, "away")


async def test_the_supervisor_on_call_sees_a_breach_as_it_happens(tmp_path: Path) -> None:
    clock = VirtualClock(datetime.now(UTC).replace(microsecond=0))
    async with running(clock=clock) as stack, views_following(stack.service), chromium() as browser:
        await with_supervisor(stack)
        page = await (await browser.new_context(viewport=DESKTOP)).new_page()
        await page.goto(stack.base + "/console")
        await page.fill("#token", SUE)
        await page.click("#signin-form button")
        await expect(page.locator("#live")).to_have_text("live")
        await expect(page.locator("#who")).to_have_text("sue · supervisor")
        board = page.locator("#board")
        await expect(board).to_be_visible()
        await expect(page.locator("#oncall [data-role='primary']")).to_contain_text("Ana")
        await expect(page.locator("#oncall [data-role='supervisor']")).to_contain_text("Sue")
        await expect(page.locator("#away [data-responder='ben']")).to_contain_text("Away")

        # Ben, the backup, has the console open on his phone.
        ben = await (await browser.new_context(viewport=PHONE)).new_page()
        await ben.goto(stack.base + "/console")
        await ben.fill("#token", TOKENS["ben"])
        await ben.click("#signin-form button")
        await expect(ben.locator("#live")).to_have_text("live")
        await expect(ben.locator("#board")).to_be_hidden()

        created = await stack.api("POST", "/v1/contacts", body={"channel": "chat", "from": "+15557770999"})
        cid = created["id"]
        row = page.locator(f"#queue tr[data-contact='{cid}']")
        await expect(row).to_be_visible()

        async def minutes(n: int) -> None:
            for _ in range(n):
                await clock.advance(60)
                await stack.service.runner.fire_due()

        # 3 minutes: the backup is paged `via: [sms, console]`; his console says so at once.
        await minutes(3)
        await expect(ben.locator("#paged")).to_contain_text("You were paged (escalation)")
        await ben.screenshot(path=tmp_path / "backup-paged-390.png")
        # The supervisor's board lists that page too, without ringing for it.
        await expect(page.locator("#pages li", has_text="Ben")).to_contain_text("console")
        assert await page.locator("body").get_attribute("data-alerts") is None

        # 8 minutes: the ladder reaches the supervisor; her console is paged (notify_via console).
        await minutes(5)
        page_item = page.locator(f"#pages li[data-contact='{cid}']")
        await expect(page_item.first).to_contain_text("escalation")
        await expect(page.locator(f"#alerts li[data-contact='{cid}'][data-event='escalated']")).to_have_count(
            2
        )
        await expect(page.locator("#alerts li[data-event='breached']")).to_have_count(0)
        await page.screenshot(path=tmp_path / "supervisor-escalated-1280.png", full_page=True)

        # 20 minutes: the breach appears live (well before the periodic refetch, 30 s away).
        await minutes(12)
        breach = page.locator(f"#alerts li[data-contact='{cid}'][data-event='breached']")
        await expect(breach).to_contain_text("Breach", timeout=10_000)
        await expect(breach).to_contain_text("waited 20 min")
        await expect(row).to_have_class("breached")
        await expect(row.locator("td.level")).to_contain_text("breached")
        await expect(page_item.first).to_contain_text("breach")
        # Sue was paged at 8 and 14 minutes and at the breach: each rang her console.
        await expect(page.locator("body")).to_have_attribute("data-alerts", "3")
        await page.screenshot(path=tmp_path / "supervisor-breach-1280.png", full_page=True)
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=tmp_path / "supervisor-breach-390.png", full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390

        # A responder who is not the supervisor has no board, and the API agrees.
        async with stack.http.get(
            stack.base + "/console/board", headers={"Authorization": f"Bearer {TOKENS['ben']}"}
        ) as response:
            assert response.status == 403
    for name in (
        "backup-paged-390",
        "supervisor-escalated-1280",
        "supervisor-breach-1280",
        "supervisor-breach-390",
    ):
        check_png(tmp_path / f"{name}.png")


async def test_a_supervisor_hands_a_contact_to_a_named_responder(tmp_path: Path) -> None:
    async with running() as stack, chromium() as browser:
        await stack.service.engine.set_presence("ben", "away")
        created = await stack.api("POST", "/v1/contacts", body={"channel": "chat", "from": "+15557770888"})
        [offer] = await stack.api("GET", "/v1/offers", TOKENS["ana"])
        await stack.api("POST", f"/v1/offers/{offer['id']}/accept", TOKENS["ana"])
        await stack.service.engine.set_presence("ben", "available")

        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(stack.base + "/console")
        await page.fill("#token", ADMIN)
        await page.click("#signin-form button")
        card = page.locator(f"article[data-contact='{created['id']}']")
        await expect(card).to_contain_text("with ana")
        await card.locator("details.others > summary").click()
        await card.locator("details.tools > summary").click()
        await card.locator("select.reassign-to").select_option("ben")
        await page.screenshot(path=tmp_path / "hand-over-390.png", full_page=True)
        await card.locator("button.reassign").click()
        await expect(card).to_contain_text("with ben")
        contact = await stack.service.engine.get_contact(created["id"])
        assert contact.responder == "ben"
    check_png(tmp_path / "hand-over-390.png")
