"""The scheduler's week page: the fragment over HTTP on both stores, and the page in headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from playwright.async_api import ViewportSize, expect

from router.api.app import create_app
from router.api.auth import hash_token
from router.clock import VirtualClock
from router.models import Responder, TokenRecord
from router.service import Service
from router.settings import Settings
from router.store import MemoryStore, Store
from router.web.schedule import install
from schedules import Roster, Shift
from tests.channels.conftest_web import check_png, chromium

ADMIN = "admin-token-for-page-tests"
SCHEDULER = "tok-scheduler"
RESPONDER = "tok-ana"
PHONE = ViewportSize(width=390, height=844)
SNEAKY = "<img src=x onerror=alert(1)>"
# The week of Monday 2026-03-02 in New York holds the spring-forward Sunday: 167 hours.
WEEK_FROM = "2026-03-02T00:00:00-05:00"
WEEK_TO = "2026-03-09T00:00:00-04:00"
WEDNESDAY_GAP = ("2026-03-04T09:00:00-05:00", "2026-03-04T17:00:00-05:00")


def shift(responder: str, role: str, start: str, end: str) -> Shift:
    return Shift.model_validate({"responder": responder, "role": role, "start": start, "end": end})


ROSTER = Roster(
    timezone="America/New_York",
    shifts=[
        shift("ana", "primary", WEEK_FROM, WEDNESDAY_GAP[0]),
        shift("ben", "primary", WEDNESDAY_GAP[1], WEEK_TO),
        shift("cy", "backup", WEEK_FROM, WEEK_TO),
        shift(SNEAKY, "supervisor", WEEK_FROM, "2026-03-06T17:00:00-05:00"),
    ],
)


@dataclass
class Site:
    service: Service
    base: str
    http: aiohttp.ClientSession

    async def get(self, path: str, token: str | None = None) -> tuple[int, str, dict[str, str]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.get(self.base + path, headers=headers) as response:
            return response.status, await response.text(), dict(response.headers)


async def staff(service: Service) -> None:
    """Responders with languages, a scheduler and a responder token, and the week published with its gap."""
    engine = service.engine
    for rid, languages in (("ana", ["en", "es"]), ("ben", ["en"]), ("cy", ["en"])):
        await engine.put_responder(Responder(id=rid, name=rid.title(), languages=languages))
    await service.store.put_token(hash_token(SCHEDULER), TokenRecord(role="scheduler"))
    await service.store.put_token(hash_token(RESPONDER), TokenRecord(role="responder", responder="ana"))
    start, end = datetime.fromisoformat(WEEK_FROM), datetime.fromisoformat(WEEK_TO)
    await engine.rosters.put_draft("main", ROSTER, start, end)
    await engine.rosters.publish("main", start, end, True, "test", "the Wednesday gap is being filled")


@asynccontextmanager
async def running(store: Store, clock: VirtualClock) -> AsyncIterator[Site]:
    """The real app with the page installed, on 127.0.0.1 and a free port (Chromium needs one)."""
    settings = Settings(redis_url="memory://", admin_token=ADMIN)
    service = await Service.create(settings, clock=clock, store=store)
    await staff(service)
    runner = web.AppRunner(create_app(service, [install]), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            yield Site(service, f"http://127.0.0.1:{port}", http)
    finally:
        await runner.cleanup()


async def test_shell_is_public_and_holds_no_roster_data(store: Store, clock: VirtualClock) -> None:
    async with running(store, clock) as site:
        status, text, headers = await site.get("/schedule?week=2026-03-02")
        assert status == 200 and "schedule.js" in text
        assert "data-date" not in text and "version 1" not in text and "Mon 2 Mar" not in text
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
        status, _, _ = await site.get("/schedule/assets/schedule.css")
        assert status == 200
        status, _, _ = await site.get("/schedule/assets/secrets.txt")
        assert status == 404


async def test_week_needs_a_scheduler_token(store: Store, clock: VirtualClock) -> None:
    async with running(store, clock) as site:
        status, text, _ = await site.get("/schedule/week")
        assert status == 401 and '"unauthenticated"' in text
        status, text, _ = await site.get("/schedule/week", "wrong")
        assert status == 401
        status, text, _ = await site.get("/schedule/week", RESPONDER)
        assert status == 403 and '"forbidden"' in text
        status, _, _ = await site.get("/schedule/week", SCHEDULER)
        assert status == 200
        status, text, _ = await site.get("/schedule/week?week=soon", SCHEDULER)
        assert status == 422 and "2026-03-02" in text


async def test_week_fragment_shows_gaps_figures_and_escapes_names(store: Store, clock: VirtualClock) -> None:
    async with running(store, clock) as site:
        # No week given: this week in the roster's zone (the clock stands at Monday 2026-03-02).
        status, text, headers = await site.get("/schedule/week", SCHEDULER)
        assert status == 200 and headers["Cache-Control"] == "no-store"
        assert "main · version 1 · week of Mon 2 Mar 2026" in text
        wednesday = text.split('data-date="2026-03-04"')[1].split("</section>")[0]
        primary = wednesday.split('class="lane primary"')[1].split("</div>")[0]
        assert '<li class="block gap"' in primary
        assert '09:00&ndash;17:00</span> <span class="who">no one on call' in primary
        assert '00:00&ndash;09:00</span> <span class="who">ana' in primary
        assert '17:00&ndash;24:00</span> <span class="who">ben' in primary
        sunday = text.split('data-date="2026-03-08"')[1].split("</section>")[0]
        assert "this day is 23 hours long" in sunday and "has-gap" not in sunday.split(">")[0]
        saturday = text.split('data-date="2026-03-07"')[1].split("</section>")[0]
        assert "no supervisor" in saturday
        # Figures: 8 of 167 hours without a primary; backup all week; Spanish only while ana is on.
        assert "<dd>does not meet</dd>" in text
        assert "<dt>Primary covered</dt><dd>95.2%</dd>" in text
        assert "<dt>Backup covered</dt><dd>100.0%</dd>" in text
        assert "Language <b>es</b>: on call 34.1% of the week" in text
        assert "primary gap Wed 4 Mar 09:00 EST to Wed 4 Mar 17:00 EST (8 h)" in text
        assert SNEAKY not in text and "&lt;img src=x onerror=alert(1)&gt;" in text

        status, text, _ = await site.get("/schedule/week?week=2026-03-11&roster=main", SCHEDULER)
        assert status == 200 and "week of Mon 9 Mar 2026" in text and "<dd>0.0%</dd>" in text


async def test_draft_week_and_missing_rosters(store: Store, clock: VirtualClock) -> None:
    async with running(store, clock) as site:
        whole = ROSTER.model_copy(
            update={"shifts": [*ROSTER.shifts, shift("dee", "primary", *WEDNESDAY_GAP)]}
        )
        await site.service.store.put_draft("main", whole)
        status, text, _ = await site.get("/schedule/week?roster=main&source=draft", SCHEDULER)
        assert status == 200 and "main · draft" in text and "<dd>exceeds</dd>" in text
        status, text, _ = await site.get("/schedule/week?roster=gone&source=draft", SCHEDULER)
        assert status == 404
        status, text, _ = await site.get("/schedule/week?roster=gone", SCHEDULER)
        assert status == 404 and "nothing is published" in text
        status, text, _ = await site.get("/schedule/week?source=rumour", SCHEDULER)
        assert status == 422


async def test_phone_screen_shows_the_gap_in_red_and_the_figures(tmp_path: Path) -> None:
    clock = VirtualClock(datetime(2026, 3, 2, 14, tzinfo=UTC))
    async with running(MemoryStore("page"), clock) as site, chromium() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(site.base + "/schedule?week=2026-03-04&roster=main")
        await page.fill("#token", SCHEDULER)
        await page.click("#signin-form button")
        gap = page.locator(".day[data-date='2026-03-04'] .lane.primary .block.gap")
        await expect(gap).to_have_count(1)
        await expect(gap).to_contain_text("09:00\u201317:00")  # an en dash
        await expect(gap).to_contain_text("no one on call")
        assert await gap.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(220, 38, 38)"
        figures = page.locator("#figures")
        await expect(figures).to_contain_text("does not meet")
        await expect(figures.locator(".figure.primary dd")).to_have_text("95.2%")
        await expect(figures.locator(".figure.backup dd")).to_have_text("100.0%")
        await expect(page.locator("#coverage-attributes")).to_contain_text("es: on call 34.1%")
        # The name is shown as text, never run as markup.
        await expect(page.locator(".lane.supervisor .who").first).to_have_text(SNEAKY)
        # Stacked days: nothing wider than the phone, each day below the one before.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        boxes = [await page.locator(f".day[data-date='2026-03-0{d}']").bounding_box() for d in (2, 3)]
        assert boxes[0] is not None and boxes[1] is not None and boxes[1]["y"] > boxes[0]["y"]
        shot = tmp_path / "schedule-phone.png"
        await page.screenshot(path=shot, full_page=True)
        check_png(shot)

        # A reload keeps the tab signed in; signing out forgets the token.
        await page.reload()
        await expect(page.locator("#figures")).to_be_visible()
        await page.click("#signout")
        await expect(page.locator("#signin")).to_be_visible()
        assert await page.evaluate("sessionStorage.length") == 0
