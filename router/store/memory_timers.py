"""The MemoryStore's timers: due times in a heap, claimed with a lease as claim_timers.lua
claims them in Redis, the contacts they concern read in the same call."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from router.clock import from_ms, to_ms
from router.models import Contact
from router.store.ordered import DueTimes
from router.store.shapes import TimerBatch
from router.timer_models import Timer


class MemoryTimers:
    """Mixed into MemoryStore, which sets these."""

    _contacts: dict[str, Contact]
    _head: int
    _wake: asyncio.Event

    def _init_timers(self) -> None:
        self._timers = DueTimes()
        self._timer_data: dict[str, Timer] = {}

    def _arm(self, timers: list[Timer]) -> None:
        for timer in timers:
            self._timers.set(timer.id, to_ms(timer.due))
            self._timer_data[timer.id] = timer
        if timers:
            self._wake.set()

    async def arm(self, timers: list[Timer]) -> None:
        self._arm(timers)

    async def claim_due(self, now: datetime, lease_s: float, limit: int = 100) -> list[Timer]:
        lease_until = to_ms(now + timedelta(seconds=lease_s))
        claimed = []
        for tid in self._timers.take_due(to_ms(now), limit):
            self._timers.set(tid, lease_until)
            claimed.append(self._timer_data[tid])
        return claimed

    async def claim_batch(self, now: datetime, lease_s: float, limit: int = 100) -> TimerBatch:
        # The base class's four reads in one call (the simulator claims after every timer due).
        claimed = await self.claim_due(now, lease_s, limit)
        contacts = {
            t.contact_id: self._contacts[t.contact_id]
            for t in claimed
            if t.contact_id and t.contact_id in self._contacts
        }
        earliest = self._timers.earliest()
        nxt = None if earliest is None else from_ms(earliest)
        return TimerBatch(claimed, contacts, nxt, self._head)

    async def complete(self, *timer_ids: str) -> None:
        for timer_id in timer_ids:
            self._timers.pop(timer_id)
            self._timer_data.pop(timer_id, None)

    async def next_due(self) -> datetime | None:
        earliest = self._timers.earliest()
        return None if earliest is None else from_ms(earliest)

    def next_due_ms(self) -> int | None:
        """`next_due` as epoch milliseconds, as kept: the simulator asks before every event."""
        return self._timers.earliest()

    async def timers(self) -> list[Timer]:
        return [self._timer_data[tid] for tid, _ in self._timers]
