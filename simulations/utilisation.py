"""Responder utilisation: time holding at least one contact over time on call, per person and hour."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schedules import Shift

HOUR = timedelta(hours=1)
WEEK_HOURS = 168


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


class Utilisation:
    """Busy from accepting a contact to closing it (several text contacts at once count once),
    measured only inside the window [w0, w1) so the warm-up does not dilute it."""

    def __init__(
        self,
        t0: datetime,
        w0: datetime,
        w1: datetime,
        hour_of_week: Callable[[datetime], int],
        shifts: list[Shift],
    ) -> None:
        self.w0, self.w1 = w0, w1
        self.hour_of_week = hour_of_week
        self.held: dict[str, int] = {}
        self.since: dict[str, datetime] = {}
        self.busy: dict[str, float] = {}
        self.oncall: dict[str, float] = {}
        self.busy_how = [0.0] * WEEK_HOURS
        self.oncall_how = [0.0] * WEEK_HOURS
        per: dict[str, list[tuple[datetime, datetime]]] = {}
        for shift in shifts:
            per.setdefault(shift.responder, []).append((shift.start, shift.end))
        for rid, spans in per.items():
            self.oncall.setdefault(rid, 0.0)
            for a, b in _merge(spans):
                self._add(rid, a, b, self.oncall, self.oncall_how)

    def _add(self, rid: str, a: datetime, b: datetime, total: dict[str, float], by_hour: list[float]) -> None:
        a, b = max(a, self.w0), min(b, self.w1)
        if b <= a:
            return
        total[rid] = total.get(rid, 0.0) + (b - a).total_seconds()
        cursor = a
        while cursor < b:
            edge = min(b, cursor.replace(minute=0, second=0, microsecond=0) + HOUR)
            by_hour[self.hour_of_week(cursor)] += (edge - cursor).total_seconds()
            cursor = edge

    def take(self, rid: str, at: datetime) -> None:
        if self.held.get(rid, 0) == 0:
            self.since[rid] = at
        self.held[rid] = self.held.get(rid, 0) + 1

    def release(self, rid: str, at: datetime) -> None:
        self.held[rid] -= 1
        if self.held[rid] == 0:
            self._add(rid, self.since.pop(rid), at, self.busy, self.busy_how)

    def finish(self, at: datetime) -> None:
        for rid, since in list(self.since.items()):
            self._add(rid, since, at, self.busy, self.busy_how)
        self.since.clear()

    def sums(self) -> BusyTime:
        return BusyTime(dict(self.busy), dict(self.oncall), list(self.busy_how), list(self.oncall_how))

    def report(self) -> dict[str, Any]:
        return self.sums().report()


@dataclass
class BusyTime:
    """Seconds busy and on call, per responder and per hour of the week: what the report is
    made of, and what the segments of one run add up (simulations/segments.py)."""

    busy: dict[str, float] = field(default_factory=dict)
    oncall: dict[str, float] = field(default_factory=dict)
    busy_how: list[float] = field(default_factory=lambda: [0.0] * WEEK_HOURS)
    oncall_how: list[float] = field(default_factory=lambda: [0.0] * WEEK_HOURS)

    def add(self, other: BusyTime) -> None:
        for mine, theirs in ((self.busy, other.busy), (self.oncall, other.oncall)):
            for rid, s in theirs.items():
                mine[rid] = mine.get(rid, 0.0) + s
        self.busy_how = [a + b for a, b in zip(self.busy_how, other.busy_how, strict=True)]
        self.oncall_how = [a + b for a, b in zip(self.oncall_how, other.oncall_how, strict=True)]

    def report(self) -> dict[str, Any]:
        def pct(busy: float, oncall: float) -> float | None:
            return round(100.0 * busy / oncall, 2) if oncall > 0 else None

        by_day_hour = [pct(sum(self.busy_how[h::24]), sum(self.oncall_how[h::24])) for h in range(24)]
        return {
            "overall_pct": pct(sum(self.busy.values()), sum(self.oncall.values())),
            "by_responder": {
                rid: {"busy_pct": pct(self.busy.get(rid, 0.0), on), "on_call_h": round(on / 3600, 2)}
                for rid, on in sorted(self.oncall.items())
            },
            "by_hour_of_day": by_day_hour,
            "by_hour_of_week": [pct(b, o) for b, o in zip(self.busy_how, self.oncall_how, strict=True)],
        }
