"""The timer loop: claim due timers with a lease, fire them, sleep until the next one is due."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from router.engine import Engine
from router.store import StoreUnavailable

log = structlog.get_logger("router.timers")

LEASE_S = 30.0
# Sleep at most this long even when nothing is due: a safety net for a missed wake-up.
MAX_SLEEP_S = 1.0


class TimerRunner:
    """Any number of instances run one each; a timer is fired by whichever claims it first,
    and a claim whose instance died expires after LEASE_S so another instance fires it."""

    def __init__(self, engine: Engine, lease_s: float = LEASE_S, batch: int = 200) -> None:
        self.engine = engine
        self.lease_s = lease_s
        self.batch = batch
        self._stopping = asyncio.Event()
        self.fired = 0

    async def fire_due(self) -> int:
        """Fire everything due now (the one step tests and simulations drive by hand)."""
        total = 0
        while True:
            now = self.engine.clock.now()
            timers = await self.engine.store.claim_due(now, self.lease_s, self.batch)
            for timer in timers:
                try:
                    await self.engine.fire(timer)
                except StoreUnavailable:
                    raise
                except Exception:
                    # The lease runs out and the timer fires again; log without contact data.
                    log.exception("timer_failed", timer_id=timer.id, kind=timer.kind.value)
            total += len(timers)
            self.fired += len(timers)
            if len(timers) < self.batch:
                return total

    async def run(self) -> None:
        """Until stop(): fire due timers, then sleep until the earliest due (or a wake-up)."""
        clock = self.engine.clock
        store = self.engine.store
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                await self.fire_due()
                nxt = await store.next_due()
                backoff = 0.1
            except StoreUnavailable as exc:
                log.warning("store_unavailable", error=type(exc).__name__, retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            delay = MAX_SLEEP_S
            if nxt is not None:
                delay = min(delay, max(0.0, (nxt - clock.now()) / timedelta(seconds=1)))
            if delay > 0:
                await store.wait_wake(delay)

    def stop(self) -> None:
        self._stopping.set()
