"""The running service with the Twilio channel installed, a local Twilio API, and a signed-webhook sender."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.api.app import Extension, create_app
from router.channels.twilio import TwilioProvider, install, installer
from router.clock import VirtualClock
from router.models import Contact, Responder
from router.service import Service
from router.settings import Settings
from router.timers import TimerRunner
from schedules import Roster, Shift
from tests.twilio_fake import FakeTwilioApi, Reply, TwilioWebhooks

# 15:00 UTC is 10:00 at the hotline (America/New_York): daytime, so the overnight rule is quiet.
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-test-auth-token"
PUBLIC = "https://hotline.example.org/safetynet"
HOTLINE = "+15550100000"
PRIMARY, BACKUP, SUPERVISOR = "+15550100001", "+15550100002", "+15550100003"
PERSON, CALLER = "+15557770001", "+15558880001"


@dataclass
class TwilioRig:
    service: Service
    clock: VirtualClock
    api: FakeTwilioApi
    twilio: TwilioWebhooks
    app: web.Application

    async def drain(self) -> int:
        """Send what the outbox holds due now, as the service's sending loop would (the rig does
        not run `service.start()`); retries due later wait for the clock. How many were tried."""
        tried = 0
        while sent := await self.service.outbox.send_due():
            tried += sent
        return tried

    async def tick(self, seconds: float, step: float = 30.0) -> None:
        """Move virtual time on in steps, firing every timer and sending every text that falls due."""
        runner = TimerRunner(self.service.engine)
        left = seconds
        await self.drain()
        while left > 0:
            move = min(step, left)
            await self.clock.advance(move)
            await runner.fire_due()
            await self.drain()
            left -= move

    async def call_in(self, caller: str, key: str = "1") -> tuple[str, Reply]:
        """A person calls; at the language menu (when the protocol has one) they press `key`."""
        sid, reply = await self.twilio.incoming_call(caller)
        if not reply.all("Gather"):
            return sid, reply
        params = self.twilio.call_params(sid, caller, HOTLINE, "in-progress", "inbound", Digits=key)
        return sid, await self.twilio.post(reply.attr("Gather", "action"), params)

    async def contact(self, contact_id: str) -> Contact:
        return await self.service.engine.get_contact(contact_id)

    async def only_open(self) -> Contact:
        ids = await self.service.store.open_contacts()
        assert len(ids) == 1, ids
        return await self.contact(ids[0])

    async def staff(self, notify_via: str = "sms", **extra: object) -> None:
        """Primary, backup and supervisor on call for a day, each with their own phone."""
        engine = self.service.engine
        shifts = []
        for rid, role, phone in (
            ("r-primary", "primary", PRIMARY),
            ("r-backup", "backup", BACKUP),
            ("r-super", "supervisor", SUPERVISOR),
        ):
            data = {
                "id": rid,
                "name": rid,
                "phone": phone,
                "notify_via": notify_via,
                "languages": ["en", "es"],
                **extra,
            }
            await engine.put_responder(Responder.model_validate(data))
            shifts.append(
                Shift(responder=rid, role=role, start=T0 - timedelta(hours=1), end=T0 + timedelta(days=1))
            )
        start, end = T0 - timedelta(hours=1), T0 + timedelta(days=1)
        await engine.rosters.put_draft("main", Roster(shifts=shifts), start, end)
        await engine.rosters.publish("main", start, end, False, "test")
        await engine.arm_shift_change()
        # Publishing texted each responder their new shifts; the tests count what follows.
        await self.drain()
        self.api.messages.clear()


def settings(api_base: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "redis_url": "memory://",
        "ledger_url": "sqlite+aiosqlite://",  # in memory, also when a test gives a real Redis
        "admin_token": "admin-token",
        "public_url": PUBLIC,
        "twilio_api_base": api_base,
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_number": HOTLINE,
        **overrides,
    }
    return Settings.model_validate(values)


def fast_retries(service: Service) -> Extension:
    """The real provider against the local API, retrying without real waiting between tries."""
    s = service.settings
    assert s.twilio_api_base
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base=s.twilio_api_base, attempts=3, backoff_s=0.0)
    return installer(provider)


RigFactory = Callable[..., Awaitable[TwilioRig]]


@pytest.fixture
async def make_rig() -> AsyncIterator[RigFactory]:
    """Build rigs; everything opened is closed at the end of the test."""
    closers: list[Callable[[], Awaitable[None]]] = []

    async def make(fast: bool = False, **overrides: object) -> TwilioRig:
        api = FakeTwilioApi(ACCOUNT, TOKEN)
        base = await api.start()
        closers.append(api.stop)
        clock = VirtualClock(T0)
        service = await Service.create(settings(base, **overrides), clock=clock)
        closers.append(service.stop)
        extension = fast_retries(service) if fast else install
        server = TestServer(create_app(service, [extension]))
        await server.start_server()
        closers.append(server.close)
        hooks = TwilioWebhooks(str(server.make_url("")), PUBLIC, TOKEN, HOTLINE, ACCOUNT)
        closers.append(hooks.close)
        return TwilioRig(service=service, clock=clock, api=api, twilio=hooks, app=server.app)

    yield make
    for close in reversed(closers):
        await close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> TwilioRig:
    r = await make_rig()
    await r.staff()
    return r
