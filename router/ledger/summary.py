"""The per-day summary: the report's grouped counts for each local day, kept by the writer.

The writer files a batch, then recounts the local days the batch touched (in the one time
zone the summary is kept in, the protocol's) from the rows themselves, in the SAME SQL
transaction as the rows and the cursor: a writer killed between batches leaves rows, summary
and cursor agreeing, and a batch filed twice recounts to the same figures. A report reads the
summary for the whole local days of its window and the rows for the partial days at its
edges; a contact still pending (time-bound, so never in the summary) is moved to `pending`
from the few open rows. A report in another zone, or in a zone whose local dates run
backwards at a change of offset, reads the rows as before (tally.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.grouping import PENDING, grouped, local_day, offsets, pending_at, window_of
from router.ledger.schema import contacts, day_counts, summary_zone

c = contacts.c
d = day_counts.c
COLUMNS = ("zone", "day", "channel", "kind", "outcome", "protocol_version", "bits", "n", "tta_sum", "tta_max")
CHUNK = 500
# Every instant whose local date is D lies in D's UTC date widened by the largest offsets.
BEFORE, AFTER = timedelta(hours=15), timedelta(hours=13)
# day, channel, kind, outcome, protocol version, bits, count, sum and max of time to answer
Grouped = tuple[Any, ...]


async def kept_zone(conn: AsyncConnection) -> str | None:
    """The zone the summary is kept in (None: not built yet)."""
    found = (await conn.execute(select(summary_zone.c.zone).limit(1))).scalar()
    return str(found) if found is not None else None


def _counts(conn: AsyncConnection, zone: ZoneInfo, lo: datetime, hi: datetime) -> Any:
    tag = cast(literal(zone.key), String(64))
    return grouped(conn, window_of(lo, hi, None), lo, hi, None, zone, tag)


async def build(conn: AsyncConnection, zone: ZoneInfo, now: datetime) -> int:
    """Count every day of the ledger afresh in `zone`, the only zone kept from now on (`safetynet
    ledger summarise`, and the writer's first batch in a zone not kept yet); the rows written."""
    await conn.execute(delete(day_counts))
    await conn.execute(delete(summary_zone))
    first, last = (await conn.execute(select(func.min(c.received_at), func.max(c.received_at)))).one()
    if first is not None:
        query = _counts(conn, zone, first, last + timedelta(seconds=1))
        await conn.execute(day_counts.insert().from_select(list(COLUMNS), query))
    await conn.execute(summary_zone.insert().values(zone=zone.key, built_at=now))
    return int((await conn.execute(select(func.count()).select_from(day_counts))).scalar() or 0)


async def recount(conn: AsyncConnection, zone: ZoneInfo, days: Iterable[date]) -> None:
    """Replace these local days' summary with counts made from the rows."""
    todo = sorted(set(days))
    if not todo:
        return
    await conn.execute(delete(day_counts).where(d.zone == zone.key, d.day.in_([x.isoformat() for x in todo])))
    for day in todo:
        midnight = datetime.combine(day, time(), UTC)
        lo, hi = midnight - BEFORE, midnight + timedelta(days=1) + AFTER
        query = _counts(conn, zone, lo, hi).where(local_day(conn, lo, hi, zone) == day.isoformat())
        await conn.execute(day_counts.insert().from_select(list(COLUMNS), query))


async def keep(conn: AsyncConnection, ids: Iterable[str], zone: ZoneInfo, now: datetime) -> None:
    """The writer's part, in its batch's transaction: recount the days of the contacts the batch
    touched (or build the summary afresh when it is kept in another zone, or not yet)."""
    if await kept_zone(conn) != zone.key:
        await build(conn, zone, now)
        return
    todo = list(ids)
    days: set[date] = set()
    for i in range(0, len(todo), CHUNK):
        query = select(c.received_at).where(c.id.in_(todo[i : i + CHUNK]), c.received_at.is_not(None))
        days |= {at.astimezone(zone).date() for (at,) in await conn.execute(query)}
    await recount(conn, zone, days)


def _first_instant(day: date, zone: ZoneInfo) -> datetime | None:
    """The first instant whose local date is `day` (None: the zone makes that unclear)."""
    at = datetime.combine(day, time(), zone).astimezone(UTC)
    before = (at - timedelta(microseconds=1)).astimezone(zone).date()
    return at if at.astimezone(zone).date() == day and before < day else None


def _dates_run_forward(lo: datetime, hi: datetime, zone: ZoneInfo) -> bool:
    """No change of offset in [lo, hi) sends the local date back (a fall-back over midnight)."""
    spans = offsets(lo, hi, zone)
    for (until, here), (_, there) in itertools.pairwise(spans):
        last = (until - timedelta(microseconds=1)).astimezone(UTC) + timedelta(seconds=here)
        if (until + timedelta(seconds=there)).date() < last.date():
            return False
    return True


@dataclass(frozen=True)
class Days:
    """The whole local days of a window the summary can answer for: [first, last] = [lo, hi)."""

    first: date
    last: date
    lo: datetime
    hi: datetime


def whole_days(start: datetime, end: datetime, zone: ZoneInfo) -> Days | None:
    first = start.astimezone(zone).date()
    bound = end.astimezone(zone).date()
    lo, hi = _first_instant(first, zone), _first_instant(bound, zone)
    if lo is None or hi is None:
        return None
    if lo < start:
        first += timedelta(days=1)
        lo = _first_instant(first, zone)
    if lo is None or first >= bound:
        return None
    if not _dates_run_forward(lo - timedelta(days=2), hi + timedelta(days=2), zone):
        return None
    return Days(first, bound - timedelta(days=1), lo, hi)


async def read(
    conn: AsyncConnection, zone: ZoneInfo, days: Days, now: datetime, channel: str | None
) -> list[Grouped] | None:
    """The grouped counts of [days.lo, days.hi) from the summary, with the contacts pending at
    `now` moved to `pending`; None when the summary is not kept in this zone."""
    if await kept_zone(conn) != zone.key:
        return None
    cols = (d.day, d.channel, d.kind, d.outcome, d.protocol_version, d.bits, d.n, d.tta_sum, d.tta_max)
    cond = and_(d.zone == zone.key, d.day >= days.first.isoformat(), d.day <= days.last.isoformat())
    if channel:
        cond = and_(cond, d.channel == channel)
    out: list[Grouped] = [tuple(r) for r in await conn.execute(select(*cols).where(cond))]
    open_now = and_(window_of(days.lo, days.hi, channel), pending_at(now))
    waiting = grouped(conn, open_now, days.lo, days.hi, None, zone)
    for day, ch, kind, outcome, version, bits, k, _, _ in await conn.execute(waiting):
        out.append((day, ch, kind, outcome, version, bits, -k, 0.0, None))
        out.append((day, ch, kind, outcome, version, bits | PENDING, k, 0.0, None))
    return out
