"""The MemoryStore's outbox: items due by time, one group's items one at a time in order (as
outbox_put.lua and outbox_done.lua keep them in Redis)."""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

from router.clock import to_ms


class MemoryOutbox:
    """Mixed into MemoryStore."""

    def _init_outbox(self) -> None:
        self._outbox: dict[str, int] = {}
        self._outbox_data: dict[str, str] = {}
        self._outbox_groups: dict[str, tuple[str, int]] = {}
        self._outbox_waiting: dict[str, list[str]] = {}

    # -- outbox ------------------------------------------------------------------
    async def outbox_put(self, item_id: str, due: datetime, payload: str, group: str | None = None) -> None:
        self._outbox_data[item_id] = payload
        if group is None:
            self._outbox[item_id] = to_ms(due)
            return
        queued = self._outbox_waiting.setdefault(group, [])
        if item_id not in self._outbox_groups:
            bisect.insort(queued, item_id)
        self._outbox_groups[item_id] = (group, to_ms(due))
        if queued[0] == item_id:
            self._outbox[item_id] = to_ms(due)

    async def outbox_claim(self, now: datetime, lease_s: float, limit: int = 50) -> list[tuple[str, str]]:
        now_ms = to_ms(now)
        due = sorted((ms, oid) for oid, ms in self._outbox.items() if ms <= now_ms)[:limit]
        lease_until = to_ms(now + timedelta(seconds=lease_s))
        for _, oid in due:
            self._outbox[oid] = lease_until
        return [(oid, self._outbox_data[oid]) for _, oid in due]

    async def outbox_done(self, item_id: str) -> None:
        self._outbox.pop(item_id, None)
        self._outbox_data.pop(item_id, None)
        entry = self._outbox_groups.pop(item_id, None)
        if entry is None:
            return
        queued = self._outbox_waiting[entry[0]]
        queued.remove(item_id)
        if not queued:
            del self._outbox_waiting[entry[0]]
        elif queued[0] not in self._outbox:
            self._outbox[queued[0]] = self._outbox_groups[queued[0]][1]

    async def outbox_size(self) -> int:
        return len(self._outbox_data)
