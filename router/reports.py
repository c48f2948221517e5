"""Compliance reports (Standard 29 timely response, Standard 32 coverage), computed from events."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from router.store import Store
from schedules import RosterVersion, check_coverage


@dataclass
class _Life:
    channel: str
    priority: str
    received: datetime
    target_s: float
    answered_s: float | None = None
    breached: bool = False
    ended: datetime | None = None
    abandoned: bool = False
    handed_off: bool = False
    callback: bool = False


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class _Counts:
    contacts: int = 0
    answered: int = 0
    within: int = 0
    abandoned: int = 0
    breached: int = 0
    handed_off: int = 0
    callbacks: int = 0
    waits: list[float] = field(default_factory=list)

    def add(self, life: _Life) -> None:
        self.contacts += 1
        if life.answered_s is not None:
            self.answered += 1
            self.waits.append(life.answered_s)
            if life.answered_s <= life.target_s:
                self.within += 1
        self.abandoned += life.abandoned
        self.breached += life.breached
        self.handed_off += life.handed_off
        self.callbacks += life.callback

    def view(self) -> dict[str, Any]:
        waits = sorted(self.waits)
        return {
            "contacts": self.contacts,
            "answered": self.answered,
            "answered_within_target": self.within,
            "within_target_pct": round(100 * self.within / self.contacts, 2) if self.contacts else None,
            "abandoned": self.abandoned,
            "breached": self.breached,
            "handed_off": self.handed_off,
            "callback_tasks": self.callbacks,
            "time_to_answer_s": {
                "p50": percentile(waits, 50),
                "p90": percentile(waits, 90),
                "p99": percentile(waits, 99),
                "max": waits[-1] if waits else None,
                "mean": round(sum(waits) / len(waits), 3) if waits else None,
            },
        }


async def lives(store: Store, start: datetime, end: datetime) -> dict[str, _Life]:
    """Every contact received in [start, end), folded from the event stream."""
    found: dict[str, _Life] = {}
    after = "0"
    while True:
        batch = await store.read_events(after, 5000)
        if not batch:
            return found
        for pos, ev in batch:
            after = pos
            cid = ev.contact_id
            extra = ev.model_extra or {}
            if ev.event == "received" and cid and start <= ev.at < end:
                found[cid] = _Life(
                    channel=str(extra.get("channel")),
                    priority=str(extra.get("priority")),
                    received=ev.at,
                    target_s=float(extra.get("target_s", 1200)),
                    callback="callback" in (extra.get("flags") or []),
                )
                continue
            life = found.get(cid or "")
            if life is None:
                continue
            if ev.event == "answered":
                life.answered_s = float(extra.get("time_to_answer_s", 0.0))
            elif ev.event == "breached":
                life.breached = True
            elif ev.event in ("closed", "abandoned", "handed_off"):
                life.ended = ev.at
                life.abandoned = ev.event == "abandoned"
                life.handed_off = ev.event == "handed_off"


async def compliance(
    store: Store, start: datetime, end: datetime, target_s: float, now: datetime, roster: RosterVersion | None
) -> dict[str, Any]:
    """API.md's compliance report. within_target_pct is answered-within-target over all contacts
    received in the window: a contact still waiting, abandoned or breached counts against it."""
    found = await lives(store, start, end)
    total = _Counts()
    by_channel: dict[str, _Counts] = {}
    breaches = []
    for cid, life in found.items():
        total.add(life)
        by_channel.setdefault(life.channel, _Counts()).add(life)
        if life.breached:
            if life.answered_s is not None:
                waited = life.answered_s
            else:
                waited = ((life.ended or now) - life.received).total_seconds()
            breaches.append(
                {
                    "contact_id": cid,
                    "channel": life.channel,
                    "priority": life.priority,
                    "waited_s": round(waited, 3),
                    "answered": life.answered_s is not None,
                    "received_at": life.received.isoformat(),
                }
            )
    report = {"from": start.isoformat(), "to": end.isoformat(), "target_s": target_s}
    report.update(total.view())
    report["breaches"] = sorted(breaches, key=lambda b: str(b["received_at"]))
    report["by_channel"] = {ch: counts.view() for ch, counts in sorted(by_channel.items())}
    report["coverage"] = coverage_of(roster, start, end)
    return report


def coverage_of(roster: RosterVersion | None, start: datetime, end: datetime) -> dict[str, Any]:
    if roster is None:
        span = (end - start).total_seconds()
        return {
            "primary_gap_s": span,
            "backup_gap_s": span,
            "rating": "does_not_meet",
            "roster_version": None,
        }
    cov = check_coverage(roster.shifts, start, end)
    return {
        "primary_gap_s": cov.primary_gap_s,
        "backup_gap_s": cov.backup_gap_s,
        "rating": cov.rating,
        "roster_version": roster.version,
    }
