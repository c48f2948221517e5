"""Ordered indexes for the in-memory store: what Redis's sorted sets give the RedisStore.

The simulator runs the real engine on the MemoryStore for a year of contacts. Sorting the whole
queue on every dispatch pass, or scanning every armed timer for the next one due, made an
overloaded hotline (thousands waiting) cost in proportion to its backlog on every event.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator

# Past this many superseded entries the heap is rebuilt from the live ones.
COMPACT_AT = 1024


class SortedScores:
    """key -> score, iterated by (score, key) as a Redis ZSET is."""

    def __init__(self) -> None:
        self._score: dict[str, float] = {}
        self._order: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._score)

    def __contains__(self, key: object) -> bool:
        return key in self._score

    def set(self, key: str, score: float) -> None:
        self.pop(key)
        self._score[key] = score
        bisect.insort(self._order, (score, key))

    def pop(self, key: str) -> None:
        score = self._score.pop(key, None)
        if score is not None:
            del self._order[bisect.bisect_left(self._order, (score, key))]

    def first(self, limit: int, after: float | None = None) -> list[str]:
        """Up to `limit` keys in order, only those scored above `after` when given."""
        start = 0 if after is None else bisect.bisect_right(self._order, after, key=lambda kv: kv[0])
        return [key for _, key in self._order[start : start + limit]]


class DueTimes:
    """id -> due ms with the earliest found in log time (a heap; changed entries are skipped)."""

    def __init__(self) -> None:
        self._due: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._due)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        """Every id and due time, earliest first."""
        return iter(sorted(self._due.items(), key=lambda kv: (kv[1], kv[0])))

    def set(self, key: str, due_ms: int) -> None:
        self._due[key] = due_ms
        heapq.heappush(self._heap, (due_ms, key))
        if len(self._heap) > 2 * len(self._due) + COMPACT_AT:
            self._heap = [(ms, k) for k, ms in self._due.items()]
            heapq.heapify(self._heap)

    def pop(self, key: str) -> None:
        self._due.pop(key, None)

    def get(self, key: str) -> int | None:
        return self._due.get(key)

    def _top(self) -> tuple[int, str] | None:
        while self._heap:
            ms, key = self._heap[0]
            if self._due.get(key) == ms:
                return ms, key
            heapq.heappop(self._heap)  # superseded or gone
        return None

    def earliest(self) -> int | None:
        top = self._top()
        return None if top is None else top[0]

    def take_due(self, now_ms: int, limit: int) -> list[str]:
        """Ids due by `now_ms`, earliest first (by due, then id), taken off the heap: the caller
        sets each one's next due time (a lease) or pops it."""
        out: dict[str, None] = {}  # an id set twice to one time has two heap entries
        while len(out) < limit:
            top = self._top()
            if top is None or top[0] > now_ms:
                break
            heapq.heappop(self._heap)
            out[top[1]] = None
        return list(out)
