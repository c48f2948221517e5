"""Is the ledger keeping up? Behind when the stream holds events after the writer's cursor;
stalled when behind and the cursor has not moved (nor the writer's heartbeat) for stall_s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from router.ledger.db import Ledger
from router.ledger.writer import position, read_cursor
from router.store import Store


@dataclass(frozen=True)
class Health:
    reachable: bool
    behind: bool
    stalled: bool
    cursor: str | None


async def health(store: Store, ledger: Ledger, now: datetime, stall: timedelta, since: datetime) -> Health:
    """`since`: when this instance started (a writer that never filed anything is judged from then)."""
    try:
        async with ledger.reading() as conn:
            found = await read_cursor(conn)
    except (SQLAlchemyError, OSError):
        return Health(reachable=False, behind=True, stalled=True, cursor=None)
    info = await store.stream_info()
    cursor = found[0] if found else None
    behind = info.last_id is not None and (cursor is None or position(info.last_id) > position(cursor))
    quiet_since = found[1] if found else since
    return Health(reachable=True, behind=behind, stalled=behind and now - quiet_since > stall, cursor=cursor)
