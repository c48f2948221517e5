"""The durable outbox: mail and texts leave through the store, so a retry survives a restart.

A channel registers a sender for its kind of message; putting a message returns at once (a
webhook never waits on a relay or a phone provider). Every instance runs the sending loop:
each claims due messages with a lease, as timers are claimed, so a message held by an
instance that dies is sent by another. A failed send is queued again after a backoff; after
the last attempt it is given up, counted and logged (ids and kinds only, never content).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from router.clock import Clock
from router.metrics import Metrics
from router.store import Store

log = structlog.get_logger("router.outbox")

# Seconds before each retry: quick for a blip, then minutes for a relay that is down.
BACKOFF: tuple[float, ...] = (2, 10, 60, 300, 900)
LEASE_S = 120.0
POLL_S = 0.5
BATCH = 50

Sender = Callable[[dict[str, Any]], Awaitable[None]]


class PermanentFailure(Exception):
    """A send that no retry can fix (no relay configured, address refused): give up now."""


@dataclass
class Outbox:
    store: Store
    clock: Clock
    metrics: Metrics
    backoff: Sequence[float] = BACKOFF
    senders: dict[str, Sender] = field(default_factory=dict)
    # Called with (kind, ref) when a message is given up, so a channel can record it.
    on_give_up: list[Callable[[str, str], None]] = field(default_factory=list)

    async def put(self, kind: str, ref: str, body: dict[str, Any]) -> str:
        """Queue a message to send now; `ref` (a contact or responder id) is all the log shows."""
        item_id = f"{kind}:{secrets.token_hex(8)}"
        payload = json.dumps({"kind": kind, "ref": ref, "attempt": 1, "body": body})
        await self.store.outbox_put(item_id, self.clock.now(), payload)
        return item_id

    async def send_due(self) -> int:
        """Send every message due now (one batch at a time); how many were tried."""
        tried = 0
        while True:
            claimed = await self.store.outbox_claim(self.clock.now(), LEASE_S, BATCH)
            await asyncio.gather(*(self._send(item_id, payload) for item_id, payload in claimed))
            tried += len(claimed)
            if len(claimed) < BATCH:
                self.metrics.outbox_depth.set(await self.store.outbox_size())
                return tried

    async def _send(self, item_id: str, payload: str) -> None:
        item = json.loads(payload)
        kind, ref, attempt = str(item["kind"]), str(item["ref"]), int(item["attempt"])
        sender = self.senders.get(kind)
        try:
            if sender is None:
                raise PermanentFailure(f"no sender for {kind} on this instance")
            await sender(item["body"])
        except PermanentFailure as exc:
            await self._give_up(item_id, kind, ref, attempt, str(exc))
            return
        except Exception as exc:  # a relay or provider failing: try again later
            if attempt > len(self.backoff):
                await self._give_up(item_id, kind, ref, attempt, type(exc).__name__)
                return
            item["attempt"] = attempt + 1
            due = self.clock.now() + timedelta(seconds=self.backoff[attempt - 1])
            await self.store.outbox_put(item_id, due, json.dumps(item))
            self.metrics.outbox_retries.labels(kind).inc()
            log.warning("outbox_retry", kind=kind, ref=ref, attempt=attempt, error=type(exc).__name__)
            return
        await self.store.outbox_done(item_id)
        self.metrics.outbox_sent.labels(kind).inc()
        log.info("outbox_sent", kind=kind, ref=ref, attempt=attempt)

    async def _give_up(self, item_id: str, kind: str, ref: str, attempt: int, why: str) -> None:
        await self.store.outbox_done(item_id)
        self.metrics.outbox_failures.labels(kind).inc()
        log.error("outbox_gave_up", kind=kind, ref=ref, attempts=attempt, why=why)
        for hook in self.on_give_up:
            hook(kind, ref)

    async def run(self) -> None:
        while True:
            await self.send_due()
            await asyncio.sleep(POLL_S)

    async def drain(self, within_s: float = 30.0) -> None:
        """Until nothing is waiting (tests, and a graceful shutdown): retries due later are
        sent when they fall due on this instance's clock."""
        async with asyncio.timeout(within_s):
            while await self.store.outbox_size():
                await self.send_due()
                await asyncio.sleep(0.01)
