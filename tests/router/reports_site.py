"""A running SafetyNet with the manager's page installed, and a day of real traffic fed through the API.

Imported by the manager's page tests; it owns no pytest fixture names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from router.api.app import create_app
from router.api.auth import hash_token
from router.clock import VirtualClock
from router.models import TokenRecord
from router.service import Service
from router.settings import Settings
from router.store import MemoryStore
from router.timers import TimerRunner
from router.web.reports import install

ADMIN = "admin-token-for-reports-tests"
MANAGER = "tok-manager"
SCHEDULER = "tok-scheduler"
# Tuesday 10 March 2026, 11:00 in New York (the default protocol's zone), two days after DST began:
# the last 7 days (4-10 March) hold the 23-hour Sunday.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@dataclass
class Site:
    service: Service
    base: str
    http: aiohttp.ClientSession
    clock: VirtualClock
    ids: dict[str, str] = field(default_factory=dict)

    async def call(self, method: str, path: str, body: Any = None, token: str = ADMIN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as response:
            text = await response.text()
            data: Any = text
            if response.content_type == "application/json":
                data = await response.json()
            return response.status, data

    async def ok(self, method: str, path: str, body: Any = None, token: str = ADMIN) -> Any:
        status, data = await self.call(method, path, body, token)
        assert status < 400, (method, path, status, data)
        return data

    async def advance(self, seconds: float, step: float = 30.0) -> None:
        """Move the virtual clock on, firing every timer that falls due on the way."""
        runner = TimerRunner(self.service.engine)
        left = seconds
        while left > 0:
            dt = min(step, left)
            await self.clock.advance(dt)
            await runner.fire_due()
            left -= dt

    async def answer(self, contact_id: str) -> None:
        """Accept the contact's pending offer and answer it (first human reply or bridged call)."""
        offers = [o for o in await self.ok("GET", "/v1/offers") if o["contact_id"] == contact_id]
        assert offers, f"no pending offer for {contact_id}"
        await self.ok("POST", f"/v1/offers/{offers[0]['id']}/accept")
        contact = await self.ok("GET", f"/v1/contacts/{contact_id}")
        if contact["channel"] == "voice":
            await self.ok("POST", f"/v1/contacts/{contact_id}/answered")
        else:
            await self.ok("POST", f"/v1/contacts/{contact_id}/messages", {"body": "Hi, I'm here with you."})

    async def close(self, contact_id: str) -> None:
        await self.ok("POST", f"/v1/contacts/{contact_id}/close", {"disposition": "support_given"})


async def staff_and_roster(site: Site) -> None:
    """Three responders, a manager and a scheduler token, and a published roster around NOW."""
    for rid in ("ana", "ben", "sue"):
        await site.ok("PUT", f"/v1/responders/{rid}", {"name": rid.title(), "languages": ["en", "es"]})
    await site.service.store.put_token(hash_token(MANAGER), TokenRecord(role="manager", person="Mia Manager"))
    await site.service.store.put_token(hash_token(SCHEDULER), TokenRecord(role="scheduler"))
    start = (NOW - timedelta(days=9)).isoformat()
    end = (NOW + timedelta(days=2)).isoformat()
    shifts = [
        {"responder": "ana", "role": "primary", "start": start, "end": end},
        {"responder": "ben", "role": "backup", "start": start, "end": end},
        {"responder": "sue", "role": "supervisor", "start": start, "end": end},
    ]
    window = f"from={start}&to={end}".replace("+", "%2B")
    await site.ok("PUT", f"/v1/rosters/main?{window}", {"timezone": "America/New_York", "shifts": shifts})
    await site.ok("POST", "/v1/rosters/main/publish", {"from": start, "to": end})


async def traffic(site: Site) -> None:
    """Four contacts an hour before NOW: sms answered in 2 min, chat in 5 min (both closed),
    voice never answered (it breaches), email answered after 24 min (late, breached)."""
    for channel in ("sms", "chat", "voice", "email"):
        made = await site.ok("POST", "/v1/contacts", {"channel": channel, "from": f"person-{channel}"})
        site.ids[channel] = made["id"]
    await site.advance(120, step=10)
    await site.answer(site.ids["sms"])
    await site.advance(180, step=10)
    await site.answer(site.ids["chat"])
    await site.close(site.ids["sms"])
    await site.close(site.ids["chat"])
    # The email's offers lapse and are renewed as the ladder widens; take the one pending at 24 min.
    await site.advance(19 * 60)
    await site.answer(site.ids["email"])


@asynccontextmanager
async def running(now: datetime = NOW, fed: bool = True) -> AsyncIterator[Site]:
    """The real app with /reports installed, on 127.0.0.1 and a free port (Chromium needs one),
    with the traffic above fed an hour before `now` (the clock then stands at `now`)."""
    clock = VirtualClock(now - timedelta(hours=1))
    settings = Settings(redis_url="memory://", admin_token=ADMIN)
    service = await Service.create(settings, clock=clock, store=MemoryStore("reports"))
    runner = web.AppRunner(create_app(service, [install]), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            site = Site(service, f"http://127.0.0.1:{port}", http, clock)
            await staff_and_roster(site)
            if fed:
                await traffic(site)
            await site.advance((now - clock.now()).total_seconds(), step=60)
            yield site
    finally:
        await runner.cleanup()
        await service.store.close()
