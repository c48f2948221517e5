"""Real `safetynet serve` processes for the crash and concurrency tests (on the benchmarks' helper)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from simulations.bench._procs import Serve

FAST_PROTOCOL = """
name: fast
response_target: 8s
offer_timeout: 2s
escalation:
  - after: 3s
    notify: [backup]
    via: [console]
breach_notify: [all_on_call]
"""
Start = Callable[[str], Awaitable[Serve]]


def kill_9(inst: Serve) -> None:
    inst.proc.kill()
    inst.proc.wait(timeout=10)


async def eventually(check: Any, within: float = 30.0, what: str = "condition") -> Any:
    """Poll an async check until it returns a truthy value (bounded; never asserts on speed)."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within}s (last: {last!r})")
