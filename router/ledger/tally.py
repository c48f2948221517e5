"""The report's one pass over a window: every count the report, its standards and its daily
charts need, grouped by the hotline's local day, channel, kind, outcome, protocol version and
a few yes/no facts packed into one small number. A year is ~1,500 days x channels, times the
handful of combinations that occur: the rows come back in thousands, never one per contact,
and Python folds them into totals (definitions: docs/reports.md, router/ledger/queries.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.schema import contacts

c = contacts.c
# An acknowledgement this soon after arrival is "immediate" (Standard 29, exceeds).
IMMEDIATE = timedelta(seconds=60)

ANSWERED, WITHIN, BREACHED, PENDING, UNDOCUMENTED = (1, 2, 4, 8, 16)
COUNTS = (
    "contacts", "answered", "answered_within_target", "pending", "abandoned", "breached",
    "handed_off", "callback_tasks", "follow_ups",
)  # fmt: skip


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


def offsets(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """[(until, UTC offset in seconds)] covering [start, end): the zone's constant-offset spans."""
    out: list[tuple[datetime, int]] = []

    def off(t: datetime) -> int:
        delta = t.astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    t, here = start, off(start)
    while t < end:
        nxt = min(t + timedelta(days=1), end)
        if nxt < end and off(nxt) != here:
            lo, hi = t, nxt  # the change falls in (lo, hi]: find its second
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if off(mid) == here else (lo, mid)
            out.append((hi, here))
            t, here = hi, off(hi)
            continue
        t = nxt
    out.append((end, here))
    return out


def local_day(conn: AsyncConnection, start: datetime, end: datetime, zone: ZoneInfo) -> Any:
    """The hotline's calendar date of arrival, as YYYY-MM-DD text."""
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


def code(conn: AsyncConnection, now: datetime) -> Any:
    return (
        _bit(c.answered_at.is_not(None), ANSWERED)
        + _bit(c.time_to_answer_s <= c.target_s, WITHIN)
        + _bit(c.breached, BREACHED)
        + _bit(pending_at(now), PENDING)
        + _bit(or_(c.disposition.is_(None), c.disposition == ""), UNDOCUMENTED)
    ).cast(Integer)  # acknowledgements: counted apart, only when Standard 29 gets that far


@dataclass
class Counts:
    """Counters of one slice (a day and channel, a channel, the window)."""

    n: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    wait_sum: float = 0.0
    wait_max: float | None = None

    def add(self, kind: str, outcome: str | None, bits: int, k: int, tta_sum: float, tta_max: Any) -> None:
        if kind == "callback":
            self.n["callback_tasks"] += k
        elif kind == "follow_up":
            self.n["follow_ups"] += k
        if kind != "contact":
            return
        n = self.n
        n["contacts"] += k
        answered = bool(bits & ANSWERED)
        n["answered"] += k if answered else 0
        n["answered_within_target"] += k if answered and bits & WITHIN else 0
        n["pending"] += k if bits & PENDING else 0
        n["breached"] += k if bits & BREACHED else 0
        n["abandoned"] += k if outcome == "abandoned" else 0
        n["handed_off"] += k if outcome == "handed_off" else 0
        if answered:
            self.wait_sum += tta_sum or 0.0
            if tta_max is not None and (self.wait_max is None or float(tta_max) > self.wait_max):
                self.wait_max = float(tta_max)


@dataclass
class Tally:
    total: Counts = field(default_factory=Counts)
    by_channel: dict[str, Counts] = field(default_factory=dict)
    by_day: dict[tuple[str, str], Counts] = field(default_factory=dict)
    # Standards 27-29 over every row of the window (as docs/reports.md defines them)
    stats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    versions: set[str] = field(default_factory=set)


def _standards(st: dict[str, int], kind: str, outcome: str | None, version: Any, bits: int, k: int) -> None:
    st["all"] += k
    if outcome == "closed":
        st["closed"] += k
        st["closed_undocumented"] += k if bits & UNDOCUMENTED else 0
    st["unversioned"] += k if version is None else 0
    if kind == "contact" and not bits & PENDING:
        st["decided"] += k
        st["late"] += k if not bits & WITHIN else 0


async def tally(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    now: datetime,
    channel: str | None,
    zone: ZoneInfo,
) -> Tally:
    day = local_day(conn, start, end, zone)
    bits = code(conn, now)
    keys = (day, c.channel, c.kind, c.outcome, c.protocol_version, bits)
    query = (
        select(*keys, func.count(), func.sum(c.time_to_answer_s), func.max(c.time_to_answer_s))
        .where(window_of(start, end, channel))
        # by position: each key is computed once per row (an expression repeated with its own
        # bound parameters would not be recognised as the same and would be computed twice)
        .group_by(*(text(str(i + 1)) for i in range(len(keys))))
    )
    out = Tally()
    for date, ch, kind, outcome, version, b, k, tta_sum, tta_max in await conn.execute(query):
        k, b, ch = int(k), int(b), str(ch)
        row = (str(kind), outcome, b, k, float(tta_sum or 0.0), tta_max)
        out.total.add(*row)
        out.by_channel.setdefault(ch, Counts()).add(*row)
        out.by_day.setdefault((str(date), ch), Counts()).add(*row)
        _standards(out.stats, str(kind), outcome, version, b, k)
        if version is not None:
            out.versions.add(str(version))
    return out
