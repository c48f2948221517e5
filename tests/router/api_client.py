"""A real aiohttp app on a test server, with a virtual clock, and a small JSON client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from router.api.app import create_app
from router.clock import VirtualClock
from router.service import Service
from router.settings import Settings
from router.store import Store
from router.timers import TimerRunner

ADMIN = "admin-token-for-tests"


@dataclass
class Api:
    client: TestClient[Any, Any]
    service: Service
    clock: VirtualClock
    token: str = ADMIN

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token or self.token}"} if (token or self.token) else {}
        if raw is not None:
            resp = await self.client.request(method, path, data=raw, headers=headers)
        else:
            resp = await self.client.request(method, path, json=body, headers=headers)
        text = await resp.text()
        try:
            data = await resp.json(content_type=None) if text else None
        except ValueError:
            data = text
        return resp.status, data

    async def ok(
        self, method: str, path: str, body: Any = None, token: str | None = None, status: int | None = None
    ) -> Any:
        got, data = await self.call(method, path, body, token)
        assert got == (status or got) and got < 400, (got, data)
        return data

    async def advance(self, seconds: float, step: float = 1.0) -> None:
        runner = TimerRunner(self.service.engine)
        left = seconds
        while left > 0:
            dt = min(step, left)
            await self.clock.advance(dt)
            await runner.fire_due()
            left -= dt


@asynccontextmanager
async def api(
    store: Store, clock: VirtualClock, protocol_path: str | None = None, ledger_url: str | None = None
) -> AsyncIterator[Api]:
    settings = Settings(
        redis_url="memory://", admin_token=ADMIN, protocol=protocol_path, ledger_url=ledger_url
    )
    service = await Service.create(settings, clock=clock, store=store)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(service)))
    await client.start_server()
    try:
        yield Api(client=client, service=service, clock=clock)
    finally:
        await client.close()
