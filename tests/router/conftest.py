"""Router test fixtures: real `safetynet serve` processes for the crash and concurrency tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from simulations.bench._procs import Serve, serve
from tests.router.processes import FAST_PROTOCOL, Start


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """Start instances on a Redis URL (a 1 s timer lease, so a dead one's claims lapse fast);
    every one is stopped when the test ends."""
    async with AsyncExitStack() as stack:

        async def launch(redis_url: str) -> Serve:
            return await stack.enter_async_context(
                serve(redis_url, FAST_PROTOCOL, tmp_path, {"SAFETYNET_TIMER_LEASE_S": "1"})
            )

        yield launch
