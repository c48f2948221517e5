"""How a report reads the ledger without writing: it waits, briefly, for the writer to file
the stream as it stood when the report was asked for, then says how far the ledger is filed.

In `serve` every instance runs the writer loop (the lock holder's files; the others wait for
the lock), or a `safetynet ledger write` process does (`ledger_writer = process`): a report
nudges the local loop, if any, and waits for the cursor to pass the stream's last position, at
most `wait_s` seconds, and never files anything itself. A process whose loop is
not running (a service that was never started: the API tests, one-shot tools) has nobody to
wait for; there the writer's own step files on the report's behalf, serialised with every
reader by the ledger's gate and with the loop by the writer's lock, so no read ever meets a
half-open write.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from router.ledger.writer import LAG_PROBE, Writer, position, read_cursor

WAIT_S = 3.0
POLL_S = 0.1


@dataclass(frozen=True)
class Filed:
    """How far the ledger is filed: the stream position, when the writer last moved or beat,
    and how many events the stream holds after it (0: the report counts everything asked for)."""

    through: str | None
    at: datetime | None
    lag: int

    def view(self) -> dict[str, Any]:
        return {
            "stream_id": self.through,
            "at": self.at.isoformat() if self.at else None,
            "lag": self.lag,
        }


def _reached(cursor: str | None, target: str | None) -> bool:
    return target is None or (cursor is not None and position(cursor) >= position(target))


async def filed(writer: Writer, wait_s: float | None = None) -> Filed:
    """Wait until the ledger holds the stream as it stands now (or `wait_s` passes)."""
    target = (await writer.store.stream_info()).last_id
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (WAIT_S if wait_s is None else wait_s)
    while True:
        async with writer.ledger.reading() as conn:
            found = await read_cursor(conn)
        cursor, at = found if found else (None, None)
        if _reached(cursor, target):
            return Filed(cursor, at, 0)
        left = deadline - loop.time()
        if left <= 0:
            break
        if not writer.running and not writer.elsewhere:
            if await writer.step() == 0:
                break  # nothing more to file here (another writer is moving it: report as is)
            continue
        committed = writer.committed
        writer.nudge.set()
        # the leader may be another instance: on timeout, read its cursor again
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(committed.wait(), min(POLL_S, left))
    behind = len(await writer.store.read_events(cursor or "0", LAG_PROBE))
    return Filed(cursor, at, behind)
