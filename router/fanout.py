"""Live views on every instance (chat sockets, console feeds), fed from the shared event stream.

The engine's own listeners run once, on the instance that made a transition: they send things
(SMS, email) and must not repeat. A view only shows what happened to the people connected to
*this* instance, and the transition may have been made on another one; so views follow the
hotline's stream instead, each instance from where the stream stood when it started.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from router.engine import Listener
from router.metrics import Metrics
from router.store import Store

log = structlog.get_logger("router.fanout")

BATCH = 200
# Records about a contact that change nothing in it: an audit entry names the contact read, and a
# console refetching on it would record another read, and so on.
QUIET = frozenset({"audit"})
BLOCK_S = 5.0
# After a read that was not full, wait this long before the next: a busy stream's events gather
# into one read. Without it every XREAD came back with the one or two events just written (1.7
# reads, each a Redis round trip, per contact taken in at 300/s). A view sees an event this much
# later at most; the first event after a quiet spell still arrives at once (the read is blocking).
GATHER_S = 0.02
# After a read that gave no view anything (nobody connected here is concerned: the usual case
# for a busy stream), gather longer: a fifth of the reads (at 500 contacts a second 0.10 reads
# per contact became 0.02). The next event a view wants waits this much longer at most.
IDLE_GATHER_S = 0.1


def pause(delivered: bool) -> float:
    """How long to gather after a read that was not full."""
    return GATHER_S if delivered else IDLE_GATHER_S


@dataclass
class SharedFeed:
    store: Store
    metrics: Metrics
    views: list[Listener] = field(default_factory=list)
    position: str | None = None
    delivered: bool = False  # whether the last read gave any view an event

    async def start_position(self) -> str:
        """Views show what happens from now on: start after the newest event in the stream."""
        info = await self.store.stream_info()
        return info.last_id or "0-0"

    async def run(self) -> None:
        if self.position is None:
            self.position = await self.start_position()
        while True:
            if await self.step() < BATCH:
                await asyncio.sleep(pause(self.delivered))

    async def step(self) -> int:
        """Deliver the next batch of events (waiting for one up to BLOCK_S); how many there were."""
        if self.position is None:
            self.position = await self.start_position()
        tail = await self.store.tail_wanted(self.position, BATCH, BLOCK_S, self._wanted)
        self.delivered = False
        if tail.position is None:
            return 0
        self.position = tail.position
        # Each view says which events it needs (by name): with nobody connected here (no chat
        # socket, no console), a burst of escalations decodes no event and reads no contact.
        wanted = [
            (event, views)
            for _, event in tail.events
            if event.contact_id and event.event not in QUIET
            for views in [[v for v in self.views if _wants(v, event.event)]]
            if views
        ]
        ids = sorted({e.contact_id for e, _ in wanted if e.contact_id})
        contacts = {c.id: c for c in await self.store.get_contacts(ids)} if ids else {}
        for event, views in wanted:
            contact = contacts.get(event.contact_id or "")
            if contact is None:
                continue  # forgotten meanwhile
            self.delivered = True
            for view in views:
                try:
                    await view.on_event(contact, event)
                except Exception as exc:  # a view failing never stops the others
                    self.metrics.notify_failures.labels("view").inc()
                    log.error("view_failed", error=type(exc).__name__)
        return tail.read

    def _wanted(self, name: str) -> bool:
        return name not in QUIET and any(_wants(v, name) for v in self.views)


def _wants(view: Listener, name: str) -> bool:
    """A view may declare `wants_event(name)`; one that does not is given every event."""
    wants = getattr(view, "wants_event", None)
    return wants is None or bool(wants(name))
