"""The one seam for time: wall clock and sleeping, real or virtual."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that moves only when told to: tests and simulations advance it explicitly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._mono = 0.0
        self._changed = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("virtual time only moves forward")
        self._mono += (when - self._now).total_seconds()
        self._now = when

    async def advance(self, seconds: float) -> None:
        self.set(self._now + timedelta(seconds=seconds))
        async with self._changed:
            self._changed.notify_all()

    async def sleep(self, seconds: float) -> None:
        deadline = self._mono + max(0.0, seconds)
        async with self._changed:
            await self._changed.wait_for(lambda: self._mono >= deadline)


def to_ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def from_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
