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

The counts come from one grouped pass (tally.py); time-to-answer percentiles from a second,
a histogram of whole seconds, refined inside the one bucket that holds each rank through the
time-to-answer index; lists (breaches, evidence) are pages (paging.py), never whole.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.paging import Page, page
from router.ledger.schema import contacts
from router.ledger.tally import Counts, pending_at, window_of

__all__ = ["answer_times", "breaches", "histogram", "pending_at", "percentile_of", "view", "window_of"]

c = contacts.c
Hist = dict[str, list[tuple[int, int]]]


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


def _whole_seconds(conn: AsyncConnection) -> Any:
    if conn.dialect.name == "postgresql":
        return func.floor(c.time_to_answer_s).cast(Integer)
    return c.time_to_answer_s.cast(Integer)  # SQLite truncates: floor for times >= 0


async def histogram(conn: AsyncConnection, win: ColumnElement[bool]) -> Hist:
    """Per channel, answered people's contacts by whole second of time to answer."""
    second = _whole_seconds(conn)
    query = (
        select(c.channel, second, func.count())
        .where(win, c.kind == "contact", c.answered_at.is_not(None))
        .group_by(text("1"), text("2"))
        .order_by(text("2"))
    )
    out: Hist = defaultdict(list)
    for ch, bucket, n in await conn.execute(query):
        out[str(ch)].append((int(bucket), int(n)))
    return out


def merged(hist: Hist) -> list[tuple[int, int]]:
    total: dict[int, int] = defaultdict(int)
    for part in hist.values():
        for b, n in part:
            total[b] += n
    return sorted(total.items())


async def _value_at(
    conn: AsyncConnection, win: ColumnElement[bool], hist: list[tuple[int, int]], rank: int
) -> float | None:
    """The rank-th smallest time to answer (1-based), read inside its one-second bucket."""
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
    conn: AsyncConnection, win: ColumnElement[bool], hist: list[tuple[int, int]], counts: Counts
) -> dict[str, float | None]:
    """Nearest-rank p50/p90/p99, max and mean of time to answer, exact."""
    total = sum(n for _, n in hist)
    out: dict[str, float | None] = {}
    for pct in (50, 90, 99):
        rank = max(1, math.ceil(pct / 100 * total))
        out[f"p{pct}"] = await _value_at(conn, win, hist, rank) if total else None
    out["max"] = counts.wait_max if total else None
    out["mean"] = round(counts.wait_sum / total, 3) if total else None
    return out


def view(counts: Counts, times: dict[str, float | None]) -> dict[str, Any]:
    n = counts.n
    decided = n["contacts"] - n["pending"]
    return {
        "contacts": n["contacts"],
        "answered": n["answered"],
        "answered_within_target": n["answered_within_target"],
        "pending": n["pending"],
        "within_target_pct": round(100 * n["answered_within_target"] / decided, 2) if decided else None,
        "abandoned": n["abandoned"],
        "breached": n["breached"],
        "handed_off": n["handed_off"],
        "callback_tasks": n["callback_tasks"],
        "follow_ups": n["follow_ups"],
        "time_to_answer_s": times,
    }


async def breaches(
    conn: AsyncConnection,
    win: ColumnElement[bool],
    now: datetime,
    limit: int,
    after: str | None = None,
    total: int | None = None,
) -> Page:
    """Breached people's contacts in arrival order: one page of them."""
    cols = (c.id, c.channel, c.priority, c.received_at, c.time_to_answer_s, c.ended_at)
    found = await page(conn, cols, and_(win, c.kind == "contact", c.breached), limit, after, total)
    items = []
    for cid, ch, priority, received, tta, ended in found.rows:
        waited = tta if tta is not None else ((ended or now) - received).total_seconds()
        items.append(
            {
                "contact_id": cid,
                "channel": ch,
                "priority": priority,
                "waited_s": round(float(waited), 3),
                "answered": tta is not None,
                "received_at": received.isoformat(),
            }
        )
    return found.with_items(items)
