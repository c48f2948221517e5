"""Readers and the writer of an in-memory ledger take turns.

An in-memory SQLite ledger is one database shared by every connection of this process
(shared cache), and the shared cache locks whole tables: a write transaction while a report
reads fails at once with "database table is locked" (busy_timeout does not apply to it). So
for that ledger only, reads share this gate and writes hold it alone; a file ledger (WAL) and
PostgreSQL let readers and the writer overlap, and pass through. A waiting writer goes before
readers that come after it, so a page of reports cannot starve the writer. Not re-entrant:
one gate hold per task at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Gate:
    def __init__(self) -> None:
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            async with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            self._writers_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._writing and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            async with self._changed:
                self._writing = False
                self._changed.notify_all()
