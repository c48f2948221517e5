"""The report's counts over a window: every count the report, its standards and its daily
charts need, grouped by the hotline's local day, channel, kind, outcome, protocol version and
a few yes/no facts packed into one small number (grouping.py). The whole local days come from
the per-day summary the writer keeps (summary.py: a year is ~6,000 rows, never one per
contact), the partial days at the window's edges from the rows; Python folds them into
totals (definitions: docs/reports.md, router/ledger/queries.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger import summary
from router.ledger.grouping import (
    ANSWERED,
    BREACHED,
    IMMEDIATE,
    PENDING,
    UNDOCUMENTED,
    WITHIN,
    acknowledged_at_once,
    grouped,
    local_day,
    offsets,
    pending_at,
    window_of,
)

__all__ = [
    "ANSWERED", "BREACHED", "COUNTS", "IMMEDIATE", "PENDING", "UNDOCUMENTED", "WITHIN", "Counts",
    "Tally", "acknowledged_at_once", "local_day", "offsets", "pending_at", "tally", "window_of",
]  # fmt: skip

COUNTS = (
    "contacts", "answered", "answered_within_target", "pending", "abandoned", "breached",
    "handed_off", "callback_tasks", "follow_ups",
)  # fmt: skip


@dataclass
class Counts:
    """Counters of one slice (a day and channel, a channel, the window)."""

    n: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    wait_sum: float = 0.0
    wait_max: float | None = None

    def add(self, kind: str, outcome: str | None, bits: int, k: int, tta_sum: float, tta_max: Any) -> None:
        """`k` rows of one group; negative takes them back (a summary row now pending)."""
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

    def fold(self, found: Any) -> None:
        for date, ch, kind, outcome, version, b, k, tta_sum, tta_max in found:
            k, b, ch = int(k), int(b), str(ch)
            row = (str(kind), outcome, b, k, float(tta_sum or 0.0), tta_max)
            self.total.add(*row)
            self.by_channel.setdefault(ch, Counts()).add(*row)
            self.by_day.setdefault((str(date), ch), Counts()).add(*row)
            _standards(self.stats, str(kind), outcome, version, b, k)
            if version is not None:
                self.versions.add(str(version))


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
    out = Tally()
    spans = [(start, end)]
    days = summary.whole_days(start, end, zone)
    if days is not None:
        found = await summary.read(conn, zone, days, now, channel)
        if found is not None:
            out.fold(found)
            spans = [(start, days.lo), (days.hi, end)]
    for lo, hi in spans:
        if lo < hi:
            out.fold(await conn.execute(grouped(conn, window_of(lo, hi, channel), lo, hi, now, zone)))
    return out
