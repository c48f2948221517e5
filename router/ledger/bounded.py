"""Redis stays bounded: once events are in the ledger the stream is trimmed beyond a window,
contacts that ended more than a grace period ago leave live state (the ledger keeps their
facts and timeline; the contact view then reads from it), and people's arrivals leave it once
no rule looks back to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, select, update

from router import intake
from router.clock import Clock
from router.ledger.db import Ledger
from router.ledger.schema import contacts
from router.ledger.writer import after, position, read_cursor
from router.policy import InForce
from router.settings import Settings
from router.store import Store

log = structlog.get_logger("router.ledger")
FORGET_BATCH = 5000


def stream_id_at(at: datetime) -> str:
    return f"{int(at.timestamp() * 1000)}-0"


@dataclass
class Bounds:
    store: Store
    ledger: Ledger
    clock: Clock
    window: timedelta = timedelta(days=7)
    grace: timedelta = timedelta(hours=24)
    every: timedelta = timedelta(minutes=1)
    last: datetime | None = field(default=None)
    # A pass over every kept arrival: hourly is soon enough for what is kept for a day or more.
    arrivals_every: timedelta = timedelta(hours=1)
    arrivals_last: datetime | None = field(default=None)
    in_force: InForce = field(init=False)

    def __post_init__(self) -> None:
        self.in_force = InForce(self.store)

    @classmethod
    def of(cls, settings: Settings, store: Store, ledger: Ledger, clock: Clock) -> Bounds:
        """The bounds the settings ask for (`stream_window_s`, `closed_grace_s`)."""
        return cls(
            store,
            ledger,
            clock,
            window=timedelta(seconds=settings.stream_window_s),
            grace=timedelta(seconds=settings.closed_grace_s),
        )

    async def __call__(self) -> None:
        now = self.clock.now()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        await self.trim(now)
        await self.forget(now)
        if self.arrivals_last is None or now - self.arrivals_last >= self.arrivals_every:
            self.arrivals_last = now
            await self.forget_arrivals(now)

    async def trim(self, now: datetime) -> int:
        """Drop stream entries both older than the window and already in the ledger."""
        async with self.ledger.reading() as conn:
            found = await read_cursor(conn)
        if found is None:
            return 0
        cutoff = stream_id_at(now - self.window)
        before = min(after(found[0]), cutoff, key=position)
        dropped = await self.store.trim_events(before)
        if dropped:
            log.info("stream_trimmed", dropped=dropped, before=before)
        return dropped

    async def forget(self, now: datetime) -> int:
        """Contacts that ended before now - grace leave Redis, unless a timer (a callback or a
        follow-up due) or an open task serving them still needs them there."""
        open_tasks = select(contacts.c.serves).where(
            contacts.c.outcome.is_(None), contacts.c.serves.is_not(None)
        )
        query = (
            select(contacts.c.id)
            .where(
                and_(
                    contacts.c.ended_at < now - self.grace,
                    contacts.c.forgotten_at.is_(None),
                    contacts.c.id.not_in(open_tasks),
                )
            )
            .limit(FORGET_BATCH)
        )
        async with self.ledger.reading() as conn:
            due = [str(r[0]) for r in await conn.execute(query)]
        if not due:
            return 0
        waiting = {t.contact_id for t in await self.store.timers() if t.contact_id}
        gone = []
        for cid in due:
            if cid in waiting:
                continue
            await self.store.forget_contact(cid)  # False: already gone, which is as good
            gone.append(cid)
        if gone:
            async with self.ledger.writing() as conn:
                for start in range(0, len(gone), 500):
                    await conn.execute(
                        update(contacts)
                        .where(contacts.c.id.in_(gone[start : start + 500]))
                        .values(forgotten_at=now)
                    )
            log.info("contacts_forgotten", count=len(gone))
        return len(gone)

    async def forget_arrivals(self, now: datetime) -> int:
        """Arrivals older than the protocol in force keeps them (`intake.arrival_memory`) leave
        Redis. Each transition drops its own sender's old ones; without this, a person who
        reached out once would leave their keyed address hash in live state for good."""
        gone = await self.store.forget_arrivals(now - intake.arrival_memory(await self.in_force()))
        if gone:
            log.info("arrivals_forgotten", count=gone)
        return gone
