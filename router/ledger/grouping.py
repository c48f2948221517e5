"""The keys a report groups the ledger's rows by: the window, the hotline's local day of
arrival, and the yes/no facts of a row packed into one small number. The report's pass over
rows (tally.py) and the per-day summary the writer keeps (summary.py) group by the very same
expressions, so their counts add up exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.schema import contacts

c = contacts.c
# An acknowledgement this soon after arrival is "immediate" (Standard 29, exceeds).
IMMEDIATE = timedelta(seconds=60)

ANSWERED, WITHIN, BREACHED, PENDING, UNDOCUMENTED = (1, 2, 4, 8, 16)


def window_of(start: datetime, end: datetime, channel: str | None) -> ColumnElement[bool]:
    cond = and_(c.received_at >= start, c.received_at < end)
    return and_(cond, c.channel == channel) if channel else cond


def pending_at(now: datetime) -> ColumnElement[bool]:
    return and_(c.answered_at.is_(None), c.outcome.is_(None), c.deadline > now)


def acknowledged_at_once(conn: AsyncConnection) -> ColumnElement[bool]:
    """first_ack_at within IMMEDIATE of arrival, in each dialect's own date arithmetic."""
    limit = int(IMMEDIATE.total_seconds())
    if conn.dialect.name == "postgresql":
        return c.first_ack_at <= c.received_at + text(f"interval '{limit} seconds'")
    return (func.julianday(c.first_ack_at) - func.julianday(c.received_at)) * 86400.0 <= limit


def offset_s(t: datetime, zone: ZoneInfo) -> int:
    delta = t.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta else 0


def offsets(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """[(until, UTC offset in seconds)] covering [start, end): the zone's constant-offset spans.
    Each change is found to its very second (zones change on whole seconds), so the local day
    below and Python's zoneinfo agree on every instant."""
    out: list[tuple[datetime, int]] = []
    t, here = start, offset_s(start, zone)
    while t < end:
        nxt = min(t + timedelta(days=1), end)
        if nxt < end and offset_s(nxt, zone) != here:
            lo, hi = math.floor(t.timestamp()), math.ceil(nxt.timestamp())
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset_s(datetime.fromtimestamp(mid, UTC), zone) == here else (lo, mid)
            change = datetime.fromtimestamp(hi, UTC)
            out.append((change, here))
            t, here = change, offset_s(change, zone)
            continue
        t = nxt
    out.append((end, here))
    return out


def local_day(conn: AsyncConnection, start: datetime, end: datetime, zone: ZoneInfo) -> Any:
    """The hotline's calendar date of arrival, as YYYY-MM-DD text (rows received in [start, end))."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone(literal(zone.key), c.received_at), "YYYY-MM-DD")
    spans = offsets(start, end, zone)
    shifts: list[Any] = [literal_column(f"'{o:+d} seconds'") for _, o in spans]
    if len(spans) == 1:
        return func.date(c.received_at, shifts[0])
    shift = case(
        *((c.received_at < until, s) for (until, _), s in zip(spans[:-1], shifts, strict=False)),
        else_=shifts[-1],
    )
    return func.date(c.received_at, shift)


def _bit(cond: ColumnElement[bool], value: int) -> Any:
    return case((cond, literal_column(str(value))), else_=literal_column("0"))


def code(now: datetime | None) -> Any:
    """A row's facts as bits; without `now`, no PENDING bit (the summary's: it is time-bound)."""
    bits = (
        _bit(c.answered_at.is_not(None), ANSWERED)
        + _bit(c.time_to_answer_s <= c.target_s, WITHIN)
        + _bit(c.breached, BREACHED)
        + _bit(or_(c.disposition.is_(None), c.disposition == ""), UNDOCUMENTED)
    )  # acknowledgements: counted apart, only when Standard 29 gets that far
    if now is not None:
        bits = bits + _bit(pending_at(now), PENDING)
    return bits.cast(Integer)


def grouped(
    conn: AsyncConnection,
    cond: ColumnElement[bool],
    start: datetime,
    end: datetime,
    now: datetime | None,
    zone: ZoneInfo,
    *lead: Any,
) -> Select[Any]:
    """(lead..., day, channel, kind, outcome, version, bits, count, sum and max of time to
    answer) over rows received in [start, end) that meet `cond`."""
    keys = (local_day(conn, start, end, zone), c.channel, c.kind, c.outcome, c.protocol_version, code(now))
    skip, tta = len(lead), c.time_to_answer_s
    return (
        select(*lead, *keys, func.count(), func.coalesce(func.sum(tta), 0.0), func.max(tta))
        .where(cond)
        # by position: each key is computed once per row (an expression repeated with its own
        # bound parameters would not be recognised as the same and would be computed twice)
        .group_by(*(text(str(skip + i + 1)) for i in range(len(keys))))
    )
