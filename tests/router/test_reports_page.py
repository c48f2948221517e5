"""The manager's page /reports: its shell and assets over HTTP, and the page itself in headless Chromium
against a running app fed with real contacts (answered in time, answered late, never answered)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.async_api import ConsoleMessage, Page, ViewportSize, expect

from tests.channels.conftest_web import check_png, chromium
from tests.router.reports_site import MANAGER, SCHEDULER, Site, running

PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)
# Served by the ledger (branch `ledger`); until it lands the page says "not available" for them.
LEDGER_PATHS = ("/v1/reports/contacts", "/v1/reports/compliance.csv")
WEEK = "from=2026-03-04T00:00:00-05:00&to=2026-03-10T15:00:00+00:00".replace("+", "%2B")


async def routed(site: Site, path: str) -> bool:
    status, _ = await site.call("GET", f"{path}?{WEEK}", token=MANAGER)
    return status != 404


async def test_shell_is_public_holds_no_data_and_serves_chartjs_with_its_licence() -> None:
    async with running(fed=False) as site:
        async with site.http.get(site.base + "/reports") as response:
            text = await response.text()
            assert response.status == 200 and "reports.js" in text
            assert response.headers["Cache-Control"] == "no-store"
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        # Every script and stylesheet comes from the app itself: no CDN.
        sources = re.findall(r'(?:src|href)="([^"]+)"', text)
        assert sources and all(s.startswith(("/", "data:")) for s in sources), sources
        assert "/reports/vendor/chart.umd.js" in sources
        async with site.http.get(site.base + "/reports/vendor/chart.umd.js") as response:
            body = await response.text()
            assert response.status == 200 and response.content_type == "application/javascript"
            assert body.startswith("/*!\n * Chart.js v4.")
        async with site.http.get(site.base + "/reports/vendor/chart.js.LICENSE.md") as response:
            assert response.status == 200 and "The MIT License" in await response.text()
        unknown = ("/reports/assets/secret.txt", "/reports/vendor/x.js", "/reports/assets/..%2Freports.py")
        for path in unknown:
            async with site.http.get(site.base + path) as response:
                assert response.status == 404, path


async def test_period_needs_a_manager_and_names_a_bad_field() -> None:
    async with running(fed=False) as site:
        status, _ = await site.call("GET", "/reports/period", token="")
        assert status == 401
        status, body = await site.call("GET", "/reports/period", token=SCHEDULER)
        assert status == 403 and body["error"]["code"] == "forbidden"
        period = await site.ok("GET", "/reports/period", token=MANAGER)
        assert period["from"] == "2026-03-04T00:00:00-05:00" and period["to"] == "2026-03-10T15:00:00+00:00"
        assert period["timezone"] == "America/New_York" and period["target_s"] == 1200.0
        assert (period["role"], period["person"]) == ("manager", "Mia Manager")
        assert [d["date"] for d in period["days"]][-2:] == ["2026-03-09", "2026-03-10"]
        assert period["days"][-2]["start"] == "2026-03-09T00:00:00-04:00"
        assert period["channels"] == ["voice", "sms", "chat", "email"]
        status, body = await site.call(
            "GET", "/reports/period?period=custom&from=2026-03-09&to=2026-03-01", token=MANAGER
        )
        assert status == 422 and body["error"]["details"][0]["loc"] == ["query", "to"]
        status, body = await site.call("GET", "/reports/period?period=decade", token=MANAGER)
        assert status == 422 and body["error"]["details"][0]["loc"] == ["query", "period"]


def watch(page: Page, missing: set[str]) -> list[str]:
    """Collect the page's errors: uncaught exceptions and console errors (a 404 from an endpoint
    the ledger has not landed yet is expected and left out)."""
    errors: list[str] = []

    def console(msg: ConsoleMessage) -> None:
        url = msg.location.get("url", "")
        if msg.type == "error" and not any(p in url for p in missing):
            errors.append(f"{msg.text} ({url})")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def sign_in(page: Page, site: Site, path: str = "/reports") -> None:
    await page.goto(site.base + path)
    await expect(page.locator("#signin")).to_be_visible()
    await page.fill("#token", MANAGER)
    await page.click("#signin-form button")
    await expect(page.locator(".standard")).to_have_count(6)


async def test_manager_audits_a_week_in_chromium(tmp_path: Path) -> None:
    async with running() as site, chromium() as browser:
        missing = {p for p in LEDGER_PATHS if not await routed(site, p)}
        page = await (await browser.new_context(viewport=DESKTOP)).new_page()
        errors = watch(page, missing)
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        await sign_in(page, site)

        await expect(page.locator("#who")).to_have_text("Mia Manager \u00b7 manager")
        # The default period: the last 7 hotline days, up to the service's clock.
        title = "Compliance report: Last 7 days (4\u201310 Mar 2026)"
        await expect(page.locator("#title")).to_have_text(title)
        await expect(page.locator("#window")).to_contain_text("4 Mar 2026, 00:00 to 10 Mar 2026, 11:00")
        await expect(page.locator("#window")).to_contain_text("America/New_York")
        for number in ("27", "28", "29", "30", "31", "32"):
            card = page.locator(f".standard[data-standard='{number}']")
            await expect(card.locator(".word")).to_have_text(
                re.compile("^(Exceeds|Meets|Does not meet|Not rated|Not available)$")
            )
            await expect(card.locator(".reason")).not_to_be_empty()
        figures = page.locator("#figures")
        await expect(figures.locator(".figure[data-key='contacts'] dd")).to_have_text("4")
        await expect(figures.locator(".figure[data-key='answered'] dd")).to_have_text("3")
        await expect(figures.locator(".figure[data-key='within'] dd")).to_have_text("2")
        await expect(figures.locator(".figure[data-key='breaches'] dd")).to_have_text("2")
        await expect(figures.locator(".figure[data-key='tta-max'] dd")).to_have_text("24 min")

        # Charts are drawn on canvases, each with its figures in words.
        for chart in ("channels", "breaches"):
            fig = page.locator(f"#fig-{chart}")
            await expect(fig).to_have_attribute("data-state", "drawn")
            await expect(fig.locator("canvas")).to_be_visible()
        await expect(page.locator("#fig-breaches canvas")).to_have_attribute(
            "aria-label", re.compile(r"^2 breaches of the target in the period: 10 Mar 2")
        )
        await expect(page.locator("#fig-channels canvas")).to_have_attribute(
            "aria-label", re.compile(r"email 0% of 1 contacts.*sms 100% of 1 contacts")
        )
        # Time to answer and the share within the target, by day, from the report's daily figures.
        await expect(page.locator("#fig-answer canvas")).to_have_attribute(
            "aria-label",
            re.compile(
                r"^Time to answer by day against the target of 20 min: "
                r"10 Mar mean 10 min 20 s, longest 24 min \(3 answered\)\.$"
            ),
        )
        await expect(page.locator("#fig-days canvas")).to_have_attribute(
            "aria-label", re.compile(r"^Share answered within the target by day: 10 Mar 50% of 4\.$")
        )
        # The charts never download the period's contacts: one report per period.
        assert not [u for u in asked if "/v1/reports/contacts?" in u], asked
        canvas = await page.locator("#fig-breaches canvas").bounding_box()
        assert canvas is not None and canvas["width"] > 300 and canvas["height"] > 150

        # Breaches name their contacts; a contact id opens its facts.
        breaches = page.locator("#breaches tbody tr")
        await expect(breaches).to_have_count(2)
        voice = site.ids["voice"]
        await expect(page.locator(f"#breaches tr[data-contact='{voice}']")).to_contain_text("1 h 0 min")
        await page.locator(f"#breaches tr[data-contact='{voice}'] a.contact-link").click()
        dialog = page.locator("#contact")
        await expect(dialog).to_be_visible()
        await expect(dialog.locator("#contact-h")).to_have_text(f"Contact {voice}")
        await expect(dialog).to_contain_text("voice")
        # Its facts are asked for when it is opened: that one contact's row, no other.
        await expect(dialog.locator("dd").first).to_have_text("contact")
        [one] = [u for u in asked if "/v1/reports/contacts?" in u]
        assert parse_qs(urlparse(one).query)["contact_id"] == [voice]
        await expect(dialog).not_to_contain_text("person-voice")  # the person's address never shows
        await page.click("#contact-close")
        await expect(dialog).to_be_hidden()

        # The CSV link carries the window and downloads with the token.
        href = await page.locator("#csv").get_attribute("href")
        assert href is not None and href.startswith("/v1/reports/compliance.csv?")
        assert parse_qs(urlparse(href).query)["from"] == ["2026-03-04T00:00:00-05:00"]
        if "/v1/reports/compliance.csv" in missing:
            await page.click("#csv")
            await expect(page.locator("#notice")).to_contain_text("not available")
        else:
            async with page.expect_download() as download_info:
                await page.click("#csv")
            download = await download_info.value
            assert download.suggested_filename == "safetynet-compliance-2026-03-04-to-2026-03-10.csv"
            csv = await asyncio.to_thread(Path(await download.path()).read_text)
            assert voice in csv and "person-voice" not in csv

        await page.screenshot(path=tmp_path / "reports-desktop.png", full_page=True)
        await page.emulate_media(media="print")
        await expect(page.locator("#period-form")).to_be_hidden()
        await expect(page.locator("#csv")).to_be_hidden()
        await expect(page.locator(".evidence-list").first).to_be_visible()  # every list on paper
        await page.screenshot(path=tmp_path / "reports-print.png", full_page=True)
        await page.emulate_media(media="screen")
        assert errors == []
    for name in ("reports-desktop.png", "reports-print.png"):
        check_png(tmp_path / name)


async def test_period_picker_changes_the_request_and_the_page_fits_a_phone(tmp_path: Path) -> None:
    async with running() as site, chromium() as browser:
        missing = {p for p in LEDGER_PATHS if not await routed(site, p)}
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        errors = watch(page, missing)
        await sign_in(page, site)
        await expect(page.locator(".figure[data-key='contacts'] dd")).to_have_text("4")
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.screenshot(path=tmp_path / "reports-phone.png", full_page=True)

        # Custom days in the hotline's zone, one channel: the report is asked for exactly that.
        await page.select_option("#period", "custom")
        await expect(page.locator("#from-day")).to_be_visible()
        await page.fill("#from-day", "2026-03-07")
        await page.fill("#to-day", "2026-03-08")
        await page.select_option("#channel", "sms")
        async with page.expect_request(lambda r: "/v1/reports/compliance?" in r.url) as asked:
            await page.click("#period-form button[type=submit]")
        query = parse_qs(urlparse((await asked.value).url).query)
        assert query == {
            "from": ["2026-03-07T00:00:00-05:00"],
            "to": ["2026-03-09T00:00:00-04:00"],
            "channel": ["sms"],
        }
        await expect(page.locator("#title")).to_have_text("Compliance report: 7\u20138 Mar 2026")
        await expect(page.locator(".figure[data-key='contacts'] dd")).to_have_text("0")
        assert "period=custom&from=2026-03-07&to=2026-03-08&channel=sms" in page.url

        # The last quarter is the previous calendar quarter; a reload keeps the period and the sign-in.
        await page.select_option("#period", "last_quarter")
        await page.select_option("#channel", "")
        async with page.expect_request(lambda r: "/v1/reports/compliance?" in r.url) as asked:
            await page.click("#period-form button[type=submit]")
        query = parse_qs(urlparse((await asked.value).url).query)
        assert query == {"from": ["2025-10-01T00:00:00-04:00"], "to": ["2026-01-01T00:00:00-05:00"]}
        await page.reload()
        await expect(page.locator("#title")).to_contain_text("Last quarter (Q4 2025")
        await expect(page.locator("#period")).to_have_value("last_quarter")

        # A bad custom period is refused with the reason, and nothing else changes.
        await page.select_option("#period", "custom")
        await page.fill("#from-day", "2026-03-09")
        await page.fill("#to-day", "2026-03-01")
        await page.click("#period-form button[type=submit]")
        await expect(page.locator("#notice")).to_contain_text("The last day is before the first")
        await expect(page.locator("#title")).to_contain_text("Last quarter")

        await page.click("#signout")
        await expect(page.locator("#signin")).to_be_visible()
        assert await page.evaluate("sessionStorage.length") == 0
        assert errors == []
    check_png(tmp_path / "reports-phone.png")


async def test_a_wrong_token_or_role_is_sent_back_to_sign_in() -> None:
    async with running(fed=False) as site, chromium() as browser:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(site.base + "/reports")
        await page.fill("#token", "not-a-token")
        await page.click("#signin-form button")
        await expect(page.locator("#signin-error")).to_have_text("That token was not accepted.")
        await page.fill("#token", SCHEDULER)
        await page.click("#signin-form button")
        await expect(page.locator("#signin-error")).to_contain_text("may not see compliance reports")
        await expect(page.locator("#app")).to_be_hidden()


async def test_breaches_and_evidence_show_more_a_page_at_a_time(tmp_path: Path) -> None:
    """57 breaches: the report lists the first 50 of them and of Standard 29's evidence; "Show
    more" fetches the rest (limit/after) and then goes away."""
    async with running() as site, chromium() as browser:
        for i in range(55):
            await site.ok("POST", "/v1/contacts", {"channel": "chat", "from": f"visitor-{i}"})
        await site.advance(21 * 60, step=60)  # none is answered: each breaches at 20 minutes
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        errors = watch(page, set())
        await sign_in(page, site)
        await expect(page.locator(".figure[data-key='breaches'] dd")).to_have_text("57")
        await expect(page.locator("#breach-count")).to_have_text("57")
        rows = page.locator("#breaches tbody tr")
        await expect(rows).to_have_count(50)
        more = page.locator("#breaches-more")
        await expect(more).to_have_text("Show more breaches (7 more)")
        async with page.expect_request(lambda r: "/v1/reports/breaches?" in r.url) as asked:
            await more.click()
        query = parse_qs(urlparse((await asked.value).url).query)
        assert query["limit"] == ["50"] and query["after"][0]
        await expect(rows).to_have_count(57)
        await expect(more).to_be_hidden()
        ids = await rows.evaluate_all("rs => rs.map(r => r.dataset.contact)")
        assert len(set(ids)) == 57 and site.ids["voice"] in ids

        card = page.locator(".standard[data-standard='29']")
        await expect(card.locator(".word")).to_have_text("Does not meet")
        await expect(card.locator(".evidence-toggle")).to_have_text("Evidence (57)")
        await card.locator(".evidence-toggle").click()
        items = card.locator(".evidence-list li:not(.more)")
        await expect(items).to_have_count(50)
        await card.locator(".evidence-more").click()
        await expect(items).to_have_count(57)
        await expect(card.locator(".evidence-more")).to_have_count(0)
        listed = await items.evaluate_all("ls => ls.map(l => l.textContent)")
        assert len(set(listed)) == 57
        await page.screenshot(path=tmp_path / "reports-more-phone.png", full_page=True)
        assert errors == []
    check_png(tmp_path / "reports-more-phone.png")
