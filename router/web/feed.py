"""The console's live feed: an engine listener fanning out small, PII-free change notices."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from router.api.auth import Principal
from router.models import Contact, Event

# A console that stops reading loses notices rather than growing memory; it refetches anyway.
QUEUE_LIMIT = 200


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )

    # Contacts once offered to or held by this responder: their later events (the person hanging
    # up, a supervisor closing) name no responder, yet make this console's offer or card stale.
    involved: set[str] = field(default_factory=set)

    def wants(self, contact: Contact, event: Event) -> bool:
        """Supervisors see everything; a responder sees what is, or was, offered to or held by them."""
        p = self.principal
        if p.role in ("admin", "manager"):
            return True
        if p.role != "responder" or p.responder is None:
            return False
        extra = event.model_extra or {}
        if contact.responder == p.responder or extra.get("responder") == p.responder:
            self.involved.add(contact.id)
            return True
        if contact.id in self.involved:
            if not contact.is_open:
                self.involved.discard(contact.id)
            return True
        return False


class ConsoleFeed:
    """Notices carry only ids, states and event names; the console reads details from the API,
    where the same access rules apply as for any other client."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, principal: Principal) -> Subscriber:
        sub = Subscriber(principal)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def on_event(self, contact: Contact, event: Event) -> None:
        notice = {
            "event": event.event,
            "contact_id": contact.id,
            "channel": contact.channel,
            "status": contact.status.value,
            "at": event.at.isoformat(),
        }
        for sub in list(self.subscribers):
            if sub.wants(contact, event):
                self._put(sub, notice)

    def _put(self, sub: Subscriber, notice: dict[str, Any] | None) -> None:
        if sub.queue.full():
            sub.queue.get_nowait()  # drop the oldest notice: the console refetches everything anyway
        sub.queue.put_nowait(notice)

    def close(self) -> None:
        """Shutdown: end every stream so the server need not wait for them."""
        for sub in list(self.subscribers):
            self._put(sub, None)
