"""The one writer: reads the event stream after its cursor and files each batch into the
ledger in ONE SQL transaction together with the new cursor. A writer killed at any point
either committed the batch and its cursor or neither, so a restart duplicates nothing and
loses nothing; rows are upserts keyed by stream id (events, audit) or contact id, so a
batch filed twice by two writers in a hand-over also leaves one row each."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from router.clock import Clock
from router.ledger import facts, sqlite_bind, summary
from router.ledger.db import Ledger, on_conflict_nothing, upsert
from router.ledger.schema import audit, contacts, cursor, events
from router.metrics import Metrics
from router.models import Event
from router.policy import InForce
from router.store import Store, StoreUnavailable

log = structlog.get_logger("router.ledger")

CURSOR = "stream"
LOCK_TTL_S = 15.0
HEARTBEAT = timedelta(seconds=10)
LAG_PROBE = 5000
LAG_EVERY_S = 5.0
# While the timers fire a burst, filing waits this long at most at a stretch, looking every DEFER_POLL_S.
DEFER_MAX_S = 10.0
DEFER_POLL_S = 0.1
# A batch is read, prepared and sent in slices of this many events or rows, the loop free between: a
# whole batch's SQL work in one go (400 events a second under steady escalations at 200/s) held
# the loop for 5-27 ms on a 2-core machine, and every timer due meanwhile fired that much late;
# in slices of 50 the longest hold was 3-5 ms (simulations/bench/ledger_stalls.py).
SLICE = 50


def position(stream_id: str) -> tuple[int, int]:
    ms, _, n = stream_id.partition("-")
    return int(ms), int(n or 0)


def after(stream_id: str) -> str:
    """The first position after `stream_id`."""
    ms, n = position(stream_id)
    return f"{ms}-{n + 1}"


async def read_cursor(conn: AsyncConnection) -> tuple[str, datetime] | None:
    row = (
        await conn.execute(select(cursor.c.stream_id, cursor.c.updated_at).where(cursor.c.name == CURSOR))
    ).first()
    return (str(row[0]), row[1]) if row else None


async def _set_cursor(conn: AsyncConnection, stream_id: str, now: datetime) -> None:
    stmt = upsert(conn, cursor).values(name=CURSOR, stream_id=stream_id, updated_at=now)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"stream_id": stream_id, "updated_at": now})
    )


async def _sliced(conn: AsyncConnection, statement: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """One statement, built once, executed a slice of rows at a time (rows of one shape). On
    SQLite the rows are bound as it stores them (sqlite_bind.py), not by SQLAlchemy."""
    raw = sqlite_bind.prepared(conn, statement, table, tuple(rows[0])) if sqlite_bind.applies(conn) else None
    for i in range(0, len(rows), SLICE):
        if raw is not None:
            await sqlite_bind.execute(conn, raw, rows[i : i + SLICE])
        else:
            await conn.execute(statement, rows[i : i + SLICE])


# Contact upserts, built once per dialect and set of columns: a statement's `excluded` copies
# every column of the contacts table (~4 ms of CPU, in the loop), and every batch files rows of
# several shapes. Built anew on every batch, they were a fifth of the writer's CPU.
_CONTACT_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}
_CONTACT_INSERTS: dict[str, tuple[Any, Any]] = {}  # dialect -> (the insert, its `excluded`)
_SHAPES_KEPT = 256
_INSERTS_NEW: dict[tuple[str, str], Any] = {}  # (dialect, table) -> its insert that skips a row filed before


def _insert_new(conn: AsyncConnection, table: Table) -> Any:
    key = (conn.dialect.name, table.name)
    found = _INSERTS_NEW.get(key)
    if found is None:
        found = _INSERTS_NEW[key] = on_conflict_nothing(upsert(conn, table), ["stream_id"])
    return found


def _contact_update(conn: AsyncConnection, keys: tuple[str, ...]) -> Any:
    found = _CONTACT_UPDATES.get((conn.dialect.name, keys))
    if found is None:
        if len(_CONTACT_UPDATES) >= _SHAPES_KEPT:
            _CONTACT_UPDATES.clear()
        found = _CONTACT_UPDATES[(conn.dialect.name, keys)] = _build_contact_update(conn, keys)
    return found


def _build_contact_update(conn: AsyncConnection, keys: tuple[str, ...]) -> Any:
    base = _CONTACT_INSERTS.get(conn.dialect.name)
    if base is None:
        stmt = upsert(conn, contacts)
        base = _CONTACT_INSERTS[conn.dialect.name] = (stmt, stmt.excluded)
    stmt, excluded = base
    set_: dict[str, Any] = {}
    for key in keys:
        if key == "id":
            continue
        mine, theirs = contacts.c[key], excluded[key]
        rule = facts.RULES.get(key, "set")
        if rule == "first":
            set_[key] = func.coalesce(mine, theirs)
        elif rule == "max":
            set_[key] = case((mine.is_(None), theirs), (theirs > mine, theirs), else_=mine)
        else:
            set_[key] = theirs
    return stmt.on_conflict_do_update(index_elements=["id"], set_=set_)


@dataclass
class Writer:
    store: Store
    ledger: Ledger
    clock: Clock
    metrics: Metrics | None = None
    batch: int = 2000
    owner: str = field(default_factory=lambda: secrets.token_hex(8))
    poll_s: float = 1.0
    lag: int = 0
    filed: int = 0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Reports ask for promptness (`nudge`) and learn of each commit (`committed`); `running`
    # says whether this process's loop is filing (reach.py decides how a report waits).
    nudge: asyncio.Event = field(default_factory=asyncio.Event)
    committed: asyncio.Event = field(default_factory=asyncio.Event)
    running: bool = False
    stepping: asyncio.Lock = field(default_factory=asyncio.Lock)
    # True while this instance is firing a burst of timers: filing waits (at most DEFER_MAX_S at a
    # stretch), so the SQL work of the burst's own events does not slow the burst. The ledger lags
    # for those seconds; the stream holds the events meanwhile, nothing is lost.
    busy: Callable[[], bool] | None = None
    # The per-day summary is kept in the time zone of the protocol in force.
    in_force: InForce = field(init=False)
    # A writer process of its own files this ledger (`ledger_writer = process`): this process's
    # loop never runs, and a report waits for that writer instead of filing itself.
    elsewhere: bool = False

    def __post_init__(self) -> None:
        self.in_force = InForce(self.store)

    async def step(self) -> int:
        """File the next batch after the cursor; how many events were new to the ledger.
        One step at a time in this process (the loop and an on-demand filing never overlap)."""
        async with self.stepping:
            n = await self._step()
        if n:
            self.committed.set()
            self.committed = asyncio.Event()
        return n

    async def _step(self) -> int:
        async with self.ledger.reading() as conn:
            found = await read_cursor(conn)
        start = found[0] if found else "0"
        batch = await self._read_batch(start)
        now = self.clock.now()
        if not batch:
            if found and now - found[1] >= HEARTBEAT:
                async with self.ledger.writing() as conn:
                    await _set_cursor(conn, found[0], now)  # alive, and nothing to file
            self._lag(0)
            return 0
        zone = await self.zone()
        async with self.ledger.writing() as conn:
            again = await read_cursor(conn)
            if again and again[0] != start:
                return 0  # another writer moved it meanwhile: read again
            touched = await self.file(conn, batch)
            await summary.keep(conn, touched, zone, now)  # the same transaction: they agree
            await _set_cursor(conn, batch[-1][0], now)
        self.filed += len(batch)
        if len(batch) < self.batch:
            self._lag(0)
        return len(batch)

    async def _read_batch(self, start: str) -> list[tuple[str, Event]]:
        """Up to `batch` events after `start`, read (and parsed) a slice at a time."""
        batch: list[tuple[str, Event]] = []
        while len(batch) < self.batch:
            want = min(SLICE, self.batch - len(batch))
            page = await self.store.read_events(batch[-1][0] if batch else start, want)
            batch += page
            if len(page) < want:
                break
        return batch

    async def zone(self) -> ZoneInfo:
        """The time zone of the protocol in force (the shipped default's before any activation)."""
        return ZoneInfo((await self.in_force()).timezone)

    async def measure_lag(self) -> int:
        """Events in the stream after the cursor, counted up to LAG_PROBE (the gauge's ceiling)."""
        async with self.ledger.reading() as conn:
            found = await read_cursor(conn)
        n = len(await self.store.read_events(found[0] if found else "0", LAG_PROBE))
        self._lag(n)
        return n

    def _lag(self, n: int) -> None:
        self.lag = n
        if self.metrics is not None:
            self.metrics.ledger_lag.set(n)

    async def file(self, conn: AsyncConnection, batch: list[tuple[str, Event]]) -> list[str]:
        """File the batch's events, audit entries and contact facts; the contacts it touched."""
        timeline: list[dict[str, Any]] = []
        accesses: list[dict[str, Any]] = []
        rows: dict[str, dict[str, Any]] = {}
        for i, (sid, ev) in enumerate(batch):
            if i and not i % SLICE:
                await asyncio.sleep(0)  # let timers and requests run between slices
            if ev.event == "audit":
                accesses.append(facts.audit_row(sid, ev))
                continue
            timeline.append(
                {
                    "stream_id": sid,
                    "at": ev.at,
                    "event": ev.event[:64],
                    "contact_id": ev.contact_id,
                    "data": facts.timeline_data(ev),
                }
            )
            found = facts.contact_facts(ev) if ev.contact_id else None
            if found is not None and ev.contact_id:
                facts.merge(rows.setdefault(ev.contact_id, {"id": ev.contact_id}), found)
        if timeline:
            await _sliced(conn, _insert_new(conn, events), events, timeline)
        if accesses:
            await _sliced(conn, _insert_new(conn, audit), audit, accesses)
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows.values():
            by_shape[tuple(sorted(row))].append(row)
        for keys, group in by_shape.items():
            # One row per contact: a slice never splits a contact's facts.
            await _sliced(conn, _contact_update(conn, keys), contacts, group)
        return list(rows)

    async def catch_up(self) -> int:
        """File everything the stream holds now (tests, the benchmark, `ledger write --once`)."""
        total = 0
        while n := await self.step():
            total += n
        return total

    async def run(self, housekeeping: Callable[[], Awaitable[None]] | None = None) -> None:
        """Forever: while this instance holds the lock, file batches; idle, poll every poll_s."""
        self.stopping.clear()
        self.running = True
        try:
            await self._loop(housekeeping)
        finally:
            self.running = False
        await self.release()

    async def release(self) -> None:
        """Let go of the ledger lock if this writer holds it (stopping: a writer waiting for it
        need not wait out LOCK_TTL_S). Best effort: an unreachable store lets it lapse instead."""
        with contextlib.suppress(StoreUnavailable):
            await self.store.release_leader(self.owner, "ledger")

    async def _loop(self, housekeeping: Callable[[], Awaitable[None]] | None) -> None:
        measured = 0.0
        loop = asyncio.get_running_loop()
        deferred_since: float | None = None
        while not self.stopping.is_set():
            n = 0
            if self.busy is not None and self.busy() and not self.nudge.is_set():
                deferred_since = deferred_since or loop.time()
                if loop.time() - deferred_since < DEFER_MAX_S:
                    await self._idle(DEFER_POLL_S)
                    continue
            deferred_since = None
            self.nudge.clear()  # this round files what is new (a nudge from now on asks again)
            if await self.store.acquire_leader(self.owner, LOCK_TTL_S, "ledger"):
                n = await self.step()
                if n == self.batch and loop.time() - measured >= LAG_EVERY_S:
                    measured = loop.time()
                    await self.measure_lag()  # behind: how far (a full read costs, so not every batch)
                if housekeeping is not None:
                    await housekeeping()
            if n < self.batch:
                await self._idle()

    async def _idle(self, for_s: float | None = None) -> None:
        """Until poll_s (or `for_s`) has passed, the service stops, or a report asks for what is new."""
        stop = asyncio.ensure_future(self.stopping.wait())
        asked = asyncio.ensure_future(self.nudge.wait())
        try:
            timeout = self.poll_s if for_s is None else for_s
            await asyncio.wait((stop, asked), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            asked.cancel()

    def stop(self) -> None:
        """Finish the batch in hand and return (never cancelled mid-write: an SQLite worker
        thread answering a closed event loop would be the result)."""
        self.stopping.set()
