"""The durable outbox: mail, texts and calls leave through the store, so a retry survives a restart.

A channel registers a sender for its kind of message; putting a message returns at once (a
webhook never waits on a relay or a phone provider). Every instance runs the sending loop:
each claims due messages with a lease, as timers are claimed, so a message held by an
instance that dies is sent by another. A failed send is queued again after a backoff; after
the last attempt (or past the message's own deadline) it is given up, counted and logged (ids
and kinds only, never content), and the channel's give-up handler applies its fallback.

Messages to one recipient (one kind and `ref`) leave in the order they were put, one at a
time, on whichever instance: the store keeps each recipient's messages as a group and makes
the next one due only when the one before is sent or given up (a retry holds the rest back).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
# (ref, body, why): a channel's fallback for a message given up (why names no person).
GiveUpHandler = Callable[[str, dict[str, Any], str], Awaitable[None]]


class PermanentFailure(Exception):
    """A send that no retry can fix (no relay configured, address refused): give up now.
    The message is a short reason for logs and handlers: never an address or a body."""


@dataclass
class Outbox:
    store: Store
    clock: Clock
    metrics: Metrics
    backoff: Sequence[float] = BACKOFF
    senders: dict[str, Sender] = field(default_factory=dict)
    # Called with (kind, ref) when a message is given up, so a channel can record it.
    on_give_up: list[Callable[[str, str], None]] = field(default_factory=list)
    # By kind: called with (ref, body, why) when a message is given up, for the channel's fallback.
    give_up_handlers: dict[str, GiveUpHandler] = field(default_factory=dict)
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(), init=False, repr=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def _new_id(self, kind: str) -> str:
        # Within one due time the store orders by id: time of putting, then a counter, so two
        # texts put in the same millisecond still leave in the order they were put.
        micros = int(self.clock.now().timestamp() * 1_000_000)
        return f"{micros:015x}{next(self._seq) % 0x10000000:07x}:{kind}:{secrets.token_hex(4)}"

    async def put(self, kind: str, ref: str, body: dict[str, Any], give_up_at: datetime | None = None) -> str:
        """Queue a message to send now; `ref` (a contact or responder id) is all the log shows.
        `give_up_at`: a retry falling due after it is not made (an offer is worth little late)."""
        item_id = self._new_id(kind)
        item: dict[str, Any] = {"kind": kind, "ref": ref, "attempt": 1, "body": body}
        if give_up_at is not None:
            item["until"] = give_up_at.isoformat()
        await self.store.outbox_put(item_id, self.clock.now(), json.dumps(item), _group(item))
        self._wake.set()
        return item_id

    async def send_due(self) -> int:
        """Send every message due now (one batch at a time); how many were tried."""
        tried = 0
        while True:
            claimed = await self.store.outbox_claim(self.clock.now(), LEASE_S, BATCH)
            if not claimed:
                self.metrics.outbox_depth.set(await self.store.outbox_size())
                return tried
            # At most one message per recipient is due at a time (the store's groups), so a batch
            # goes out all at once; each one done makes its recipient's next due for the next claim.
            await asyncio.gather(*(self._send(item_id, json.loads(payload)) for item_id, payload in claimed))
            tried += len(claimed)

    async def _send(self, item_id: str, item: dict[str, Any]) -> None:
        """Send one message; on a failure, queue it again after its backoff or give it up."""
        kind, ref, attempt = str(item["kind"]), str(item["ref"]), int(item["attempt"])
        sender = self.senders.get(kind)
        try:
            if sender is None:
                raise PermanentFailure(f"no sender for {kind} on this instance")
            await sender(item["body"])
        except PermanentFailure as exc:
            await self._give_up(item_id, item, str(exc))
            return
        except Exception as exc:  # a relay or provider failing: try again later
            if attempt > len(self.backoff):
                await self._give_up(item_id, item, type(exc).__name__)
                return
            due = self.clock.now() + timedelta(seconds=self.backoff[attempt - 1])
            until = item.get("until")
            if until is not None and due > datetime.fromisoformat(str(until)):
                await self._give_up(item_id, item, f"deadline:{type(exc).__name__}")
                return
            item["attempt"] = attempt + 1
            # The sender may have noted progress in the body (parts of a long text already sent).
            await self.store.outbox_put(item_id, due, json.dumps(item), _group(item))
            self.metrics.outbox_retries.labels(kind).inc()
            log.warning("outbox_retry", kind=kind, ref=ref, attempt=attempt, error=type(exc).__name__)
            return
        await self.store.outbox_done(item_id)
        self._wake.set()  # the recipient's next message, if any, is due now
        self.metrics.outbox_sent.labels(kind).inc()
        log.info("outbox_sent", kind=kind, ref=ref, attempt=attempt)

    async def _give_up(self, item_id: str, item: dict[str, Any], why: str) -> None:
        kind, ref, attempt = str(item["kind"]), str(item["ref"]), int(item["attempt"])
        await self.store.outbox_done(item_id)
        self._wake.set()
        self.metrics.outbox_failures.labels(kind).inc()
        log.error("outbox_gave_up", kind=kind, ref=ref, attempts=attempt, why=why)
        for hook in self.on_give_up:
            hook(kind, ref)
        handler = self.give_up_handlers.get(kind)
        if handler is not None:
            try:
                await handler(ref, item["body"], why)
            except Exception as exc:  # a fallback failing must not stop the sending loop
                log.error("outbox_give_up_handler_failed", kind=kind, ref=ref, error=type(exc).__name__)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            await self.send_due()
            # Woken at once by a put on this instance; another instance's puts within POLL_S.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_S):
                    await self._wake.wait()

    async def drain(self, within_s: float = 30.0) -> None:
        """Until nothing is waiting (tests, and a graceful shutdown): retries due later are
        sent when they fall due on this instance's clock."""
        async with asyncio.timeout(within_s):
            while await self.store.outbox_size():
                await self.send_due()
                await asyncio.sleep(0.01)


def _group(item: dict[str, Any]) -> str:
    """One recipient's messages of one kind: they leave in order, one at a time."""
    return f"{item['kind']}:{item['ref']}"
