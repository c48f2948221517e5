"""`safetynet demo` points at the manager's page, and the page's default period holds the demo's traffic."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time

import aiohttp
import pytest


@pytest.mark.slow
async def test_demo_prints_the_reports_page_and_its_week_holds_the_demo_traffic() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "router.cli", "demo", "--port", "0", "--duration", "60", "--rate", "240", "--seed", "3"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any(line.lstrip().startswith("reports") for line in lines):
                raw = await proc.stderr.readline()
                assert raw, "the demo stopped before saying where to look: " + "".join(lines)
                lines.append(raw.decode())
        text = "".join(lines)
        found = re.search(r"reports\s+(http://\S+)/reports\b", text)
        token = re.search(r"Bearer (demo-[\w-]+)'", text)
        assert found is not None and token is not None, text
        base, headers = found.group(1), {"Authorization": f"Bearer {token.group(1)}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(base + "/reports") as response:
                assert response.status == 200 and "reports.js" in await response.text()
            report: dict[str, object] = {}
            deadline = time.monotonic() + 30
            while not report.get("contacts"):  # the demo's first synthetic contacts are on their way
                assert time.monotonic() < deadline, report
                await asyncio.sleep(0.5)
                # What the page does: the default period (it ends now), then the report for it.
                async with http.get(base + "/reports/period") as response:
                    period = await response.json()
                    assert response.status == 200 and period["period"] == "last_7_days"
                query = {"from": period["from"], "to": period["to"]}
                async with http.get(base + "/v1/reports/compliance", params=query) as response:
                    assert response.status == 200
                    report = await response.json()
            # The demo's roster covers the page's default week, with a backup who is someone else.
            coverage = report["coverage"]
            assert isinstance(coverage, dict)
            assert coverage["primary_gap_s"] == 0 and coverage["rating"] == "exceeds"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                async with asyncio.timeout(20):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
