"""Figures from the engine's own events, folded as emitted: waits with confidence intervals."""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from router.models import Contact, Event


@dataclass(slots=True)
class ContactRecord:
    """What the events said about one contact, folded as they were emitted."""

    id: str
    received_at: datetime
    channel: str
    priority: str
    target_s: float
    flags: tuple[str, ...] = ()
    answered_s: float | None = None
    breached_s: float | None = None
    abandoned_s: float | None = None
    offers: int = 0
    declined: int = 0
    expired: int = 0
    escalations: int = 0

    def waited(self, until: datetime) -> float:
        """Time to answer; for a contact never answered, how long it was left waiting."""
        if self.answered_s is not None:
            return self.answered_s
        if self.abandoned_s is not None:
            return self.abandoned_s
        return (until - self.received_at).total_seconds()

    def __reduce__(self) -> tuple[type[ContactRecord], tuple[Any, ...]]:
        # Pickled as its fields in order, rebuilt by the constructor: a segment's records cross
        # from its worker process (simulations/segments.py), ~17,000 a month of the busy
        # hotline, in 68 ms where the slots' state took 169 ms.
        return (ContactRecord, _record_fields(self))


_record_fields = attrgetter(*(f.name for f in fields(ContactRecord)))


class Tally:
    """An engine listener: folds every transition event into one record per contact.

    Streaming the events is what lets a year-long run stay linear; the events are the same
    ones the production report reads back from the store."""

    def __init__(self) -> None:
        self.records: dict[str, ContactRecord] = {}

    async def on_event(self, contact: Contact, event: Event) -> None:
        extra = event.__pydantic_extra__ or {}  # what `model_extra` returns, without the property
        name = event.event
        if name == "received":
            self.records[contact.id] = ContactRecord(
                id=contact.id,
                received_at=event.at,
                channel=str(extra["channel"]),
                priority=str(extra["priority"]),
                target_s=float(extra["target_s"]),
                flags=tuple(contact.flags),
            )
            return
        rec = self.records.get(contact.id)
        if rec is None:
            return
        if name == "answered":
            rec.answered_s = float(extra["time_to_answer_s"])
        elif name == "breached":
            rec.breached_s = float(extra["waited_s"])
        elif name == "abandoned":
            rec.abandoned_s = float(extra["waited_s"])
        elif name == "offered":
            rec.offers += 1
        elif name == "declined":
            rec.declined += 1
        elif name == "offer_expired":
            rec.expired += 1
        elif name == "escalated":
            rec.escalations += 1

    def window(self, start: datetime, end: datetime) -> list[ContactRecord]:
        """Contacts received in [start, end), in arrival order."""
        found = [r for r in self.records.values() if start <= r.received_at < end]
        found.sort(key=lambda r: (r.received_at, r.id))
        return found


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (good to ~1e-3 for df >= 5)."""
    z = statistics.NormalDist().inv_cdf(p)
    n = float(df)
    return (
        z
        + (z**3 + z) / (4 * n)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * n**4)
    )


def batch_ci(
    samples: list[float], batches: int, level: float = 0.95, floor: float = 0.0, ceiling: float = math.inf
) -> tuple[float | None, tuple[float, float] | None]:
    """Mean and a batch-means confidence interval: `samples` in time order cut into equal
    batches, whose means are close to independent when the batches are long. The interval
    is clipped to what the quantity can be (a wait is not negative, a probability not above 1)."""
    if not samples:
        return None, None
    mean = sum(samples) / len(samples)
    size = len(samples) // batches
    if batches < 2 or size < 1:
        return mean, None
    means = [sum(samples[i * size : (i + 1) * size]) / size for i in range(batches)]
    half = t_quantile(0.5 + level / 2, batches - 1) * statistics.stdev(means) / math.sqrt(batches)
    return mean, (max(floor, mean - half), min(ceiling, mean + half))


def lag1(series: list[float]) -> float | None:
    """Lag-1 autocorrelation of the batch means: near 0 when batches are long enough to be
    independent; well above 0 says the interval is too narrow and the run too short."""
    if len(series) < 3:
        return None
    m = sum(series) / len(series)
    var = sum((x - m) ** 2 for x in series)
    if var == 0:
        return None
    return sum((a - m) * (b - m) for a, b in itertools.pairwise(series)) / var


def waits(
    records: list[ContactRecord], waited: list[float], thresholds: list[float], batches: int
) -> dict[str, Any]:
    """Mean wait (answered contacts) and P(wait > t) (every contact), each with a 95% CI;
    `waited` is each record's ContactRecord.waited, in the same order."""
    answered = [r.answered_s for r in records if r.answered_s is not None]
    mean, ci = batch_ci(answered, batches)
    size = len(answered) // batches
    means = [sum(answered[i * size : (i + 1) * size]) / size for i in range(batches)] if size else []
    p_over: dict[str, Any] = {}
    for t in thresholds:
        value, pci = batch_ci([1.0 if w > t else 0.0 for w in waited], batches, ceiling=1.0)
        p_over[_key(t)] = {"value": value, "ci95": list(pci) if pci else None}
    return {
        "mean_s": mean,
        "mean_ci95": list(ci) if ci else None,
        "lag1": lag1(means),
        "p_over": p_over,
        "batches": batches,
    }


def _key(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t)
