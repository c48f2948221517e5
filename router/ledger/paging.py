"""Lists a year could make long (breaches, a standard's evidence) come a page at a time, in
arrival order: `limit` rows after the cursor `after` (opaque to callers: the last row's
arrival time and id), with the total and the cursor of the next page."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.schema import contacts

c = contacts.c
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


class BadCursor(ValueError):
    """`after` is not a cursor this server handed out."""


def encode(received: datetime, cid: str) -> str:
    return base64.urlsafe_b64encode(f"{received.isoformat()}|{cid}".encode()).decode().rstrip("=")


def decode(after: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
        when, cid = raw.split("|", 1)
        at = datetime.fromisoformat(when)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(after) from exc
    if at.tzinfo is None or not cid:
        raise BadCursor(after)
    return at, cid


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    next: str | None
    items: list[Any] = field(default_factory=list)

    def with_items(self, items: list[Any]) -> Page:
        return replace(self, items=items)

    def view(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "next": self.next}


async def page(
    conn: AsyncConnection,
    cols: tuple[Any, ...],
    cond: ColumnElement[bool],
    limit: int,
    after: str | None = None,
    total: int | None = None,
) -> Page:
    """`cols` must start with the contact's id and hold its `received_at` (the cursor's parts)."""
    where = cond
    if after:
        at, cid = decode(after)
        where = and_(cond, or_(c.received_at > at, and_(c.received_at == at, c.id > cid)))
    query = (
        select(*cols, c.received_at.label("_at")).where(where).order_by(c.received_at, c.id).limit(limit + 1)
    )
    rows = list(await conn.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    if total is None:
        total = int(
            (await conn.execute(select(func.count()).select_from(contacts).where(cond))).scalar() or 0
        )
    nxt = encode(rows[-1][-1], str(rows[-1][0])) if more and rows else None
    return Page([tuple(r)[:-1] for r in rows], total, nxt)
