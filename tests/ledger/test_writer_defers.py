"""While this instance fires a burst of timers the writer waits (the burst's own events are
filed after it), but never past DEFER_MAX_S at a stretch and never when a report asks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.ledger import Ledger, writer
from router.ledger.writer import Writer
from router.store import MemoryStore
from tests.ledger.helpers import DAYTIME
from tests.router.helpers import sms


async def _writer_with_events(ledger: Ledger, busy_calls: list[int]) -> Writer:
    store = MemoryStore("t")
    engine = Engine(store, VirtualClock(DAYTIME), default_protocol())
    await engine.intake(sms("hello"))

    def busy() -> bool:
        busy_calls.append(1)
        return True  # a burst that never ends

    return Writer(store, ledger, VirtualClock(DAYTIME), busy=busy, poll_s=0.01)


async def _until(cond: Callable[[], bool]) -> None:
    """Yield to the writer until `cond` holds (bounded, so a broken writer fails the test)."""
    async with asyncio.timeout(10):
        while not cond():  # noqa: ASYNC110 - the writer signals nothing for this; a bounded yield loop
            await asyncio.sleep(0)


async def test_filing_waits_during_a_burst_until_a_report_asks(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "DEFER_POLL_S", 0.0)
    calls: list[int] = []
    w = await _writer_with_events(ledger, calls)
    task = asyncio.create_task(w.run())
    try:
        await _until(lambda: len(calls) >= 5)  # it looked at the burst five times
        assert w.filed == 0  # deferred each time
        w.nudge.set()  # a report asks for what is new: filed despite the burst
        await _until(lambda: w.filed > 0)
    finally:
        w.stop()
        await task


async def test_filing_is_deferred_no_longer_than_the_cap(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "DEFER_MAX_S", 0.0)
    calls: list[int] = []
    w = await _writer_with_events(ledger, calls)
    task = asyncio.create_task(w.run())
    try:
        await _until(lambda: w.filed > 0)  # although the burst goes on
        assert calls
    finally:
        w.stop()
        await task
