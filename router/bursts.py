"""A burst of escalations and breaches on a server's store (router/timers.py mixes it in): full
batches fired overlapped, each next batch claimed just before this one's writes are sent, so
Redis answers the claim first and the next batch is decided while Redis runs the writes.

Fired one batch after another, an instance's Python waited for each batch's writes (~8 ms for
200 on the 2-core machine) and each next claim, and Redis waited for its Python. Nothing else
changes: each batch is decided on its own claim's read, each write is guarded by its contact's
revision (a contact whose timers fall in two batches is refused in the second and fired the
one-at-a-time way on a fresh read), and a batch's written steps owe what they always did. An
instance that dies leaves its claimed timers leased, to fire again when the lease runs out."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from router.escalating import Escalating
from router.models import Contact
from router.store import Conflict, TimerBatch, Transition
from router.timer_models import Timer, TimerKind
from schedules import OnCall

# How long after a full batch this instance still counts as firing a burst (real seconds: it is
# about sharing the CPU, not about when anything falls due).
BURST_HOLD_S = 0.5
# The kinds decided in Python and written in one pipeline per batch (a contact's lone one).
BATCHED = frozenset({TimerKind.escalate, TimerKind.breach})

# A batch's writes on their way: what was planned, whom it pages, the writes, the claim's contacts.
Writing = tuple[
    list[tuple[Timer, Transition]], OnCall | None, "asyncio.Task[list[Contact | Conflict]]", TimerBatch
]


class Bursts(Escalating):
    """Mixed into TimerRunner, which sets these."""

    _burst_until: float
    fired: int
    next_due: datetime | None

    async def _fire_groups(self, groups: list[list[Timer]], claimed: dict[str, Contact]) -> None:
        raise NotImplementedError

    def _burst_batch(self, claim: TimerBatch) -> bool:
        """A full batch of lone escalations and breaches of distinct contacts, on a store that
        may overlap them (`Store.overlapped_bursts`)."""
        timers = claim.timers
        if not self.engine.store.overlapped_bursts or len(timers) < self.batch:
            return False
        ids = {t.contact_id for t in timers}
        return None not in ids and len(ids) == len(timers) and all(t.kind in BATCHED for t in timers)

    async def _fire_burst(self, claim: TimerBatch) -> tuple[int, TimerBatch]:
        """Fire `claim` (a `_burst_batch`) and the full batches after it, overlapped. Returns how
        many were fired and the first claim that is not such a batch: claimed and leased, not yet
        fired (the caller fires it its usual way)."""
        store = self.engine.store
        total = 0
        writing: Writing | None = None
        ahead: asyncio.Task[TimerBatch] | None = None
        try:
            while True:
                self._burst_until = time.monotonic() + BURST_HOLD_S
                planned, oncall = await self._plan_batch(claim.timers, claim)
                if writing is not None:
                    total += await self._burst_written(writing)
                    writing = None
                # The claim first on the wire, then the writes: Redis answers the claim, and
                # the next batch is decided while it runs them.
                ahead = asyncio.create_task(
                    store.claim_batch(self.engine.clock.now(), self.lease_s, self.batch)
                )
                writing = (
                    planned,
                    oncall,
                    asyncio.create_task(store.apply_many([t for _, t in planned])),
                    claim,
                )
                claim = await ahead
                ahead = None
                self.next_due = claim.next_due
                if not self._burst_batch(claim):
                    done, writing = writing, None
                    return total + await self._burst_written(done), claim
        except BaseException:
            for task in (ahead, writing[2] if writing is not None else None):
                _drop(task)
            raise

    async def _burst_written(self, writing: Writing) -> int:
        """A batch's writes, once back: what they owe, the refused fired the one-at-a-time way,
        then one dispatch pass, as the timer loop does for every batch."""
        planned, oncall, writes, claim = writing
        refused = await self._batch_written(planned, await writes, oncall)
        if refused:
            await self._fire_groups([[t] for t in refused], claim.contacts)
        await self.engine.dispatch()
        self.fired += len(claim.timers)
        return len(claim.timers)


def _drop(task: asyncio.Task[Any] | None) -> None:
    """A task left behind by an error: cancelled if still running, its own error collected."""
    if task is None:
        return
    if not task.done():
        task.cancel()
    elif not task.cancelled():
        task.exception()
