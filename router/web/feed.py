"""The console's live feed: an engine listener fanning out small, PII-free change notices and pages."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from router.api.auth import Principal
from router.models import Contact, Event

# A console that stops reading loses notices rather than growing memory; it refetches anyway.
QUEUE_LIMIT = 200
# Pages kept for a console that opens (or reloads) after they were sent.
RECENT_PAGES = 100


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )
    # The supervisor's view (manager, admin, or the responder on call as supervisor): every
    # contact's notices. The console's stream refreshes it as shifts change.
    sees_all: bool = False

    # Contacts once offered to or held by this responder: their later events (the person hanging
    # up, a supervisor closing) name no responder, yet make this console's offer or card stale.
    involved: set[str] = field(default_factory=set)

    def wants(self, contact: Contact, event: Event) -> bool:
        """Supervisors see everything; a responder sees what is, or was, offered to or held by them."""
        p = self.principal
        if self.sees_all or p.role in ("admin", "manager"):
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

    def gets_page(self, notice: dict[str, Any]) -> bool:
        """A page reaches the console of the person paged; the supervisor's view lists every page."""
        p = self.principal
        if self.sees_all or p.role in ("admin", "manager"):
            return True
        return p.responder is not None and p.responder == notice["responder"]


class ConsoleFeed:
    """Notices carry only ids, states, event names and levels; the console reads details from the
    API, where the same access rules apply as for any other client.

    Pages arrive as `paged` events on the shared stream (so on every instance): each goes to the
    paged person's open consoles (the supervisor's view lists all) and is kept for consoles
    opened later. A page `for_console` (`via: console`, or a responder reached by console) is a
    delivery there (`console: true`: the console rings and says it); the rest are listed as sent."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.pages: deque[dict[str, Any]] = deque(maxlen=RECENT_PAGES)

    def subscribe(self, principal: Principal, sees_all: bool = False) -> Subscriber:
        sub = Subscriber(principal, sees_all=sees_all)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def wants_event(self, name: str) -> bool:
        """Pages always (kept for consoles opened later); the rest while a console is connected here."""
        return name == "paged" or bool(self.subscribers)

    async def on_event(self, contact: Contact, event: Event) -> None:
        if event.event == "paged":
            self._page(contact, event)
            return
        notice: dict[str, Any] = {
            "event": event.event,
            "contact_id": contact.id,
            "channel": contact.channel,
            "status": contact.status.value,
            "priority": contact.priority.value,
            "level": contact.escalation_level,
            "breached": contact.breached,
            "at": event.at.isoformat(),
        }
        waited = (event.model_extra or {}).get("waited_s")
        if isinstance(waited, int | float):
            notice["waited_s"] = waited
        for sub in list(self.subscribers):
            if sub.wants(contact, event):
                self._put(sub, notice)

    def _page(self, contact: Contact, event: Event) -> None:
        extra = event.model_extra or {}
        notice = {
            "event": "page",
            "reason": extra.get("reason"),
            "responder": extra.get("responder"),
            "via": extra.get("via", []),
            "console": bool(extra.get("console")),
            "contact_id": contact.id,
            "channel": contact.channel,
            "priority": contact.priority.value,
            "level": extra.get("level", contact.escalation_level),
            "at": event.at.isoformat(),
        }
        self.pages.append(notice)
        for sub in list(self.subscribers):
            if sub.gets_page(notice):
                self._put(sub, notice)

    def pages_for(self, principal: Principal, sees_all: bool = False) -> list[dict[str, Any]]:
        """Recent pages this person may see, newest first."""
        probe = Subscriber(principal, sees_all=sees_all)
        return [n for n in reversed(self.pages) if probe.gets_page(n)]

    def _put(self, sub: Subscriber, notice: dict[str, Any] | None) -> None:
        if sub.queue.full():
            sub.queue.get_nowait()  # drop the oldest notice: the console refetches everything anyway
        sub.queue.put_nowait(notice)

    def close(self) -> None:
        """Shutdown: end every stream so the server need not wait for them."""
        for sub in list(self.subscribers):
            self._put(sub, None)


FEED = web.AppKey("console_feed", ConsoleFeed)
