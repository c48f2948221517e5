"""The compliance report's numbers, aggregated in SQL over the ledger for any window.

Definitions (also in docs/reports.md):
- `contacts` counts people's contacts (kind `contact`) received in [from, to). Callback and
  follow-up tasks are counted apart (`callback_tasks`, `follow_ups`) and never inflate
  `contacts`, `breached` or the time-to-answer figures.
- `pending`: a contact not answered, not ended and not yet past its deadline when the report
  is made. It is neither a success nor a failure yet.
- Time to answer: arrival to the first human response (the bridged call, the first reply).
- `within_target_pct`: answered within the target over the contacts already decided
  (`contacts - pending`); a contact that waited past its deadline, was abandoned or handed
  off counts against it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.schema import contacts

c = contacts.c


def percentile_of(counts: list[tuple[float, int]], pct: float) -> float | None:
    """Nearest rank over (value, how many) pairs sorted by value."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value, n in counts:
        seen += n
        if seen >= rank:
            return value
    return counts[-1][0]


def window_of(start: datetime, end: datetime, channel: str | None) -> ColumnElement[bool]:
    cond = and_(c.received_at >= start, c.received_at < end)
    return and_(cond, c.channel == channel) if channel else cond


def _flag(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0)).cast(Integer)


def pending_at(now: datetime) -> ColumnElement[bool]:
    return and_(c.answered_at.is_(None), c.outcome.is_(None), c.deadline > now)


async def counters(
    conn: AsyncConnection, start: datetime, end: datetime, now: datetime, channel: str | None
) -> dict[str, dict[str, Any]]:
    """Per channel: contacts, answered, within target, pending, abandoned, breached, handed off,
    plus the tasks counted apart; and time-to-answer percentiles of people's contacts."""
    answered = c.answered_at.is_not(None)
    people = c.kind == "contact"
    query = (
        select(
            c.channel,
            _flag(people),
            _flag(and_(people, answered)),
            _flag(and_(people, answered, c.time_to_answer_s <= c.target_s)),
            _flag(and_(people, pending_at(now))),
            _flag(and_(people, c.outcome == "abandoned")),
            _flag(and_(people, c.breached)),
            _flag(and_(people, c.outcome == "handed_off")),
            _flag(c.kind == "callback"),
            _flag(c.kind == "follow_up"),
            func.sum(case((and_(people, answered), c.time_to_answer_s), else_=0.0)),
        )
        .where(window_of(start, end, channel))
        .group_by(c.channel)
    )
    names = [
        "contacts",
        "answered",
        "answered_within_target",
        "pending",
        "abandoned",
        "breached",
        "handed_off",
        "callback_tasks",
        "follow_ups",
    ]
    out: dict[str, dict[str, Any]] = {}
    for row in await conn.execute(query):
        counts: dict[str, Any] = {name: int(row[i + 1] or 0) for i, name in enumerate(names)}
        counts["_wait_sum"] = float(row[len(names) + 1] or 0.0)
        counts["_hist"] = []
        out[str(row[0])] = counts
    # Time to answer in whole-second buckets (a few thousand rows for a year, not one per
    # contact); the exact percentile is then read inside its bucket through the index.
    second = _whole_seconds(conn)
    hist = (
        select(c.channel, second, func.count())
        .where(window_of(start, end, channel), people, answered)
        .group_by(c.channel, second)
        .order_by(second)
    )
    for ch, bucket, n in await conn.execute(hist):
        out[str(ch)]["_hist"].append((int(bucket), int(n)))
    return out


def _whole_seconds(conn: AsyncConnection) -> Any:
    if conn.dialect.name == "postgresql":
        return func.floor(c.time_to_answer_s).cast(Integer)
    return c.time_to_answer_s.cast(Integer)  # SQLite truncates: floor for times >= 0


async def _value_at(
    conn: AsyncConnection,
    win: ColumnElement[bool],
    hist: list[tuple[int, int]],
    rank: int,
    last: bool = False,
) -> float | None:
    """The rank-th smallest time to answer (1-based), or the largest when `last`."""
    seen = 0
    for bucket, n in hist:
        if seen + n >= rank:
            cond = and_(
                win,
                c.kind == "contact",
                c.answered_at.is_not(None),
                c.time_to_answer_s >= bucket,
                c.time_to_answer_s < bucket + 1,
            )
            if last:
                found = await conn.execute(select(func.max(c.time_to_answer_s)).where(cond))
            else:
                found = await conn.execute(
                    select(c.time_to_answer_s)
                    .where(cond)
                    .order_by(c.time_to_answer_s)
                    .limit(1)
                    .offset(rank - seen - 1)
                )
            value = found.scalar()
            return float(value) if value is not None else None
        seen += n
    return None


async def answer_times(
    conn: AsyncConnection, win: ColumnElement[bool], counts: dict[str, Any]
) -> dict[str, float | None]:
    """Nearest-rank p50/p90/p99, max and mean of time to answer, exact."""
    hist: list[tuple[int, int]] = counts["_hist"]
    total = sum(n for _, n in hist)
    out: dict[str, float | None] = {}
    for pct in (50, 90, 99):
        rank = max(1, math.ceil(pct / 100 * total))
        out[f"p{pct}"] = await _value_at(conn, win, hist, rank) if total else None
    out["max"] = await _value_at(conn, win, hist, total, last=True) if total else None
    out["mean"] = round(counts["_wait_sum"] / total, 3) if total else None
    return out


def view(counts: dict[str, Any], times: dict[str, float | None]) -> dict[str, Any]:
    decided = counts["contacts"] - counts["pending"]
    return {
        "contacts": counts["contacts"],
        "answered": counts["answered"],
        "answered_within_target": counts["answered_within_target"],
        "pending": counts["pending"],
        "within_target_pct": round(100 * counts["answered_within_target"] / decided, 2) if decided else None,
        "abandoned": counts["abandoned"],
        "breached": counts["breached"],
        "handed_off": counts["handed_off"],
        "callback_tasks": counts["callback_tasks"],
        "follow_ups": counts["follow_ups"],
        "time_to_answer_s": times,
    }


def total_of(by_channel: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = defaultdict(int)
    merged: dict[int, int] = defaultdict(int)
    total["_wait_sum"] = 0.0
    for counts in by_channel.values():
        for key, value in counts.items():
            if key == "_hist":
                for b, k in value:
                    merged[b] += k
            else:
                total[key] += value
    for key in ("contacts", "answered", "answered_within_target", "pending", "abandoned", "breached"):
        total.setdefault(key, 0)
    for key in ("handed_off", "callback_tasks", "follow_ups"):
        total.setdefault(key, 0)
    total["_hist"] = sorted(merged.items())
    return dict(total)


async def breaches(
    conn: AsyncConnection, start: datetime, end: datetime, now: datetime, channel: str | None
) -> list[dict[str, Any]]:
    query = (
        select(c.id, c.channel, c.priority, c.received_at, c.time_to_answer_s, c.ended_at)
        .where(window_of(start, end, channel), c.kind == "contact", c.breached)
        .order_by(c.received_at, c.id)
    )
    out = []
    for cid, ch, priority, received, tta, ended in await conn.execute(query):
        waited = tta if tta is not None else ((ended or now) - received).total_seconds()
        out.append(
            {
                "contact_id": cid,
                "channel": ch,
                "priority": priority,
                "waited_s": round(float(waited), 3),
                "answered": tta is not None,
                "received_at": received.isoformat(),
            }
        )
    return out
