"""A fixed reference workload, timed, so figures from different machines can be compared.

Benchmarks here run on whatever machine a session gets; the same commit measured ~2.7x slower
on one 2-core machine than on another (BENCHMARKS.md). Every run prints how long this workload
takes (best of several, CPU time): a figure divided by the run's reference gives a number that
moves with the code, not with the machine. The workload is the kind of work the engine does —
JSON, dicts, small objects, a pydantic model — in one thread, with no I/O.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from pydantic import BaseModel

ROUNDS = 9


class _Record(BaseModel):
    id: str
    at: datetime
    tags: list[str]
    counts: dict[str, int]


def _work() -> int:
    total = 0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(400):
        rec = _Record(id=f"c{i}", at=now, tags=["a", "b", str(i)], counts={"x": i, "y": i * 2})
        text = rec.model_dump_json()
        back = _Record.model_validate_json(text)
        blob = json.dumps({"id": back.id, "n": i, "items": list(range(20))})
        total += len(json.loads(blob)["items"]) + len(sorted({str(j): j for j in range(30)}))
    return total


def reference_ms() -> float:
    """CPU milliseconds for the reference workload, best of ROUNDS (lower is a faster machine)."""
    best = float("inf")
    _work()  # warm: pydantic builds its validators on first use
    for _ in range(ROUNDS):
        started = time.process_time()
        _work()
        best = min(best, time.process_time() - started)
    return round(best * 1000, 2)
