"""A running SafetyNet (memory store) with chat, console and email installed, and a relay sink.

Imported by the chat, console and email tests; pytest fixtures stay in each test module so
this file owns no global fixture names (tests/channels/conftest.py belongs to another package).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.async_api import Browser, async_playwright

from router import web as console
from router.api.app import create_app
from router.api.auth import hash_token
from router.channels import chat
from router.channels import email as email_channel
from router.clock import Clock
from router.models import Responder, TokenRecord
from router.service import Service
from router.settings import Settings
from schedules import Roster, Shift

ADMIN = "t"
HOTLINE = "help@hotline.test"
TOKENS = {"ana": "tok-ana", "ben": "tok-ben"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Sink:
    """The relay SafetyNet sends through: a real aiosmtpd server keeping what it receives.

    `refuse` answers that many DATA commands with a temporary failure first (a relay blip)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = 0
        self.arrived = asyncio.Condition()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        async with self.arrived:
            self.messages.append(msg)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 OK"

    async def wait_for(self, count: int) -> list[EmailMessage]:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.messages) >= count)
        return self.messages

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self, loop=loop), "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@dataclass
class Stack:
    service: Service
    app: web.Application
    base: str
    sink: Sink
    http: aiohttp.ClientSession
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def smtp_port(self) -> int:
        port = self.app[email_channel.EMAIL].smtp_port
        assert port is not None
        return port

    @property
    def chat(self) -> chat.ChatHub:
        return self.app[chat.HUB]

    @property
    def mail(self) -> email_channel.EmailChannel:
        return self.app[email_channel.EMAIL]

    async def api(self, method: str, path: str, token: str = ADMIN, body: Any = None) -> Any:
        async with self.http.request(
            method, self.base + path, json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            data = await response.json()
            assert response.status < 400, (response.status, data)
            return data


async def staff(service: Service) -> None:
    """Two responders with tokens, on a published roster: ana primary, ben backup."""
    engine = service.engine
    for rid, languages in (("ana", ["en", "es"]), ("ben", ["en"])):
        await engine.put_responder(Responder(id=rid, name=rid.title(), languages=languages))
        await service.store.put_token(hash_token(TOKENS[rid]), TokenRecord(role="responder", responder=rid))
    start = engine.clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    end = start + timedelta(days=2)
    roster = Roster(
        timezone="UTC",
        shifts=[
            Shift(responder="ana", role="primary", start=start, end=end),
            Shift(responder="ben", role="backup", start=start, end=end),
        ],
    )
    await engine.rosters.put_draft("main", roster, start, end)
    await engine.rosters.publish("main", start, end, False, "test")


@asynccontextmanager
async def running(clock: Clock | None = None, **overrides: Any) -> AsyncIterator[Stack]:
    """The real app with chat, console and email installed, on 127.0.0.1 and a free port
    (`clock`: a virtual one for tests that depend on the time of day)."""
    sink = Sink()
    await sink.start()
    values: dict[str, Any] = {
        "redis_url": "memory://",
        "admin_token": ADMIN,
        "secret_key": "test-secret-key-for-channels",
        "smtp_port": 0,
        "smtp_relay": f"127.0.0.1:{sink.port}",
        "mail_from": f"Community Hotline <{HOTLINE}>",
    }
    try:
        service = await Service.create(Settings(**{**values, **overrides}), clock=clock)
        await staff(service)
        app = create_app(service, [chat.install, console.install, email_channel.install])
        app[email_channel.EMAIL].mailer.backoff = (0.0, 0.0)  # retries at once: no test waits on time
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        if clock is None:
            await service.start()  # on a virtual clock the test fires timers itself
        async with aiohttp.ClientSession() as http:
            try:
                yield Stack(service, app, f"http://127.0.0.1:{port}", sink, http)
            finally:
                await app[email_channel.EMAIL].mailer.drain()
                await runner.cleanup()
                await service.stop()
    finally:
        await sink.stop()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def check_png(path: Path) -> None:
    """A screenshot was written and is a real, non-empty PNG."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
    assert len(data) > 2000, f"{path} is suspiciously small"
