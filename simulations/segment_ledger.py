"""One compliance report over a run simulated in segments: each segment files its own ledger,
the rows the report reads are put into one ledger, and the production report reads that.

Filing is the expensive part of a report (~4 s per 10,000 busy-hotline contacts on the 2-core
machine, against ~0.07 s for the report's queries): each segment files its own events in its
own process with the production `Writer`, and hands back plain rows. The parent only inserts
them, recounts the per-day summary (`summary.build`, the writer's own recount) and reads the
report with `router.reports.compliance`, so every definition stays the production one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router import reports as production
from router.clock import VirtualClock
from router.ledger import Ledger, summary
from router.ledger.schema import audit, contacts, cursor, debriefs, events
from router.ledger.writer import CURSOR, Writer, position, read_cursor
from router.models import Event
from router.store import MemoryStore
from schedules import RosterVersion

# The timeline rows the compliance report reads (Standard 31 looks for offered debriefs):
# a year's timeline is ~1.6 million rows, and the parent would insert them one process alone.
REPORTED_EVENTS = ("debrief_offered",)
# Tables copied whole from each segment's ledger (the day summary is recounted instead).
WHOLE = (contacts, audit, debriefs)
# Stream ids `ms-n` of different segments can coincide; segment k of K files `ms-(n*K + k)`.
STREAMED = {"events", "audit"}


@dataclass
class LedgerRows:
    """A segment's ledger, as plain rows (column values in table order, as SQLite stores them),
    table by table."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    zone: str | None = None
    filed_through: str | None = None


async def file_segment(events_kept: list[Event], end: datetime) -> LedgerRows:
    """File a segment's own events (those of contacts received in its window) into a scratch
    ledger with the production writer, and read back the rows the report needs."""
    source = MemoryStore()
    await source.record(events_kept)
    ledger = Ledger.open("sqlite+aiosqlite://")
    try:
        await ledger.upgrade()
        await Writer(source, ledger, VirtualClock(end), batch=20_000).catch_up()
        rows = LedgerRows()
        async with ledger.reading() as conn:
            for table in WHOLE:
                rows.tables[table.name] = await _stored_rows(conn, table)
            rows.tables[events.name] = await _stored_rows(conn, events, "event", REPORTED_EVENTS)
            rows.zone = await summary.kept_zone(conn)
            found = await read_cursor(conn)
            rows.filed_through = found[0] if found else None
        return rows
    finally:
        await ledger.close()


def _columns(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


async def _stored_rows(
    conn: AsyncConnection, table: Table, column: str | None = None, among: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """A table's rows (those whose `column` is `among`, when given) as SQLite stores them: they
    go into another SQLite ledger of the same schema (`merged_compliance`), so no column type
    converts them on the way out and back on the way in (binding a year's rows through the
    types cost the parent ~2 s of every 3.7 s it spent merging 60 days)."""
    sql = f'SELECT {_columns(table)} FROM "{table.name}"'  # noqa: S608 - the schema's own names
    if column is not None:
        sql += f' WHERE "{column}" IN ({", ".join("?" for _ in among)})'
    return [tuple(r) for r in await conn.exec_driver_sql(sql, among)]


def _renumber(sid: str, index: int, count: int) -> str:
    ms, n = position(sid)
    return f"{ms}-{n * count + index}"


async def merged_compliance(
    parts: list[LedgerRows],
    w0: datetime,
    w1: datetime,
    now: datetime,
    protocol: Protocol,
    roster: RosterVersion | None,
) -> dict[str, Any]:
    """The production compliance report over [w0, w1) from every segment's rows."""
    ledger = Ledger.open("sqlite+aiosqlite://")
    try:
        await ledger.upgrade()
        last = (0, 0)
        async with ledger.writing() as conn:
            for index, part in enumerate(parts):
                if part.filed_through is not None:
                    last = max(last, position(_renumber(part.filed_through, index, len(parts))))
                for name, found in part.tables.items():
                    if not found:
                        continue
                    table: Table = contacts.metadata.tables[name]
                    if name in STREAMED:
                        at = [c.name for c in table.columns].index("stream_id")
                        found = [
                            (*row[:at], _renumber(row[at], index, len(parts)), *row[at + 1 :])
                            for row in found
                        ]
                    marks = ", ".join("?" for _ in table.columns)
                    insert = f'INSERT INTO "{name}" ({_columns(table)}) VALUES ({marks})'  # noqa: S608
                    await conn.exec_driver_sql(insert, found)
            zone = next((p.zone for p in parts if p.zone), None)
            if zone is not None:
                await summary.build(conn, ZoneInfo(zone), now)
            await conn.execute(
                cursor.insert().values(name=CURSOR, stream_id=f"{last[0]}-{last[1]}", updated_at=now)
            )
        return await production.compliance(ledger, w0, w1, now, protocol, roster)
    finally:
        await ledger.close()
