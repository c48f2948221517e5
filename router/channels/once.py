"""Deliveries a provider may repeat (Twilio's MessageSid and CallSid, mail's Message-ID) stored once.

The order is check, claim, store, mark:

1. check the contact record itself (the store's own idempotency): the person's open contact
   names the delivery (its `ref`, or a `delivery` on a timeline entry) — then it is a replay;
2. claim the delivery (`seen:`); a claim already taken means a first attempt began: if it also
   left its `done:` mark, this is a replay, else that attempt died before storing, so store now;
3. store the contact or the message;
4. mark it `done:`.

A crash between any two steps leaves the message to be stored by the provider's retry, never
dropped: the claim alone does not count as stored. Requests for one delivery on one instance
are serialised, so two copies arriving together cannot both pass the check.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from router.models import Contact
from router.store import Store

T = TypeVar("T")
# Twilio retries a webhook for minutes and a mail server for days (RFC 5321 suggests 4-5).
TTL_S = 7 * 24 * 3600.0


def delivery_id(kind: str, ref: str) -> str:
    """A short, stable name for one delivery: safe in keys, events and logs (a Message-ID names hosts)."""
    return hashlib.sha256(f"{kind}:{ref}".encode()).hexdigest()[:24]


def holds(contact: Contact | None, delivery: str, ref: str | None = None) -> bool:
    """True when the contact already has this delivery: it began the contact, or a message joined it."""
    if contact is None:
        return False
    if ref is not None and contact.ref == ref:
        return True
    return any((entry.model_extra or {}).get("delivery") == delivery for entry in contact.timeline)


class Once:
    def __init__(self, store: Store, ttl_s: float = TTL_S) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    async def run(
        self,
        delivery: str,
        already: Callable[[], Awaitable[bool]],
        store_it: Callable[[], Awaitable[T]],
    ) -> T | None:
        """`store_it()`'s result the first time; None for a replay (nothing stored)."""
        lock = self._locks.setdefault(delivery, asyncio.Lock())
        self._users[delivery] = self._users.get(delivery, 0) + 1
        try:
            async with lock:
                if await already():
                    return None
                if not await self.store.mark_once(f"seen:{delivery}", self.ttl_s) and not (
                    await self.store.mark_once(f"done:{delivery}", self.ttl_s)
                ):
                    return None  # claimed and finished before: a replay
                result = await store_it()
                await self.store.mark_once(f"done:{delivery}", self.ttl_s)
                return result
        finally:
            self._users[delivery] -= 1
            if not self._users[delivery]:  # the last one out takes the lock away: memory stays bounded
                del self._users[delivery], self._locks[delivery]
