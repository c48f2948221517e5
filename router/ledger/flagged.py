"""Contacts carrying a flag, found through a partial index over the few rows with any flag
(migration 0003): a year's Standard 30 and 31 read ~2% of its rows, not all of them.

Flags are a JSON list; rows without one hold `[]` (or NULL). The index's condition and the
queries' must be the very same text, or the planner will not use it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, false, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.schema import contacts

c = contacts.c
SQLITE_ANY = "flags <> '[]'"
POSTGRES_ANY = "(flags)::text <> '[]'"


def any_flag(conn: AsyncConnection) -> Any:
    if conn.dialect.name == "postgresql":
        return text("(contacts.flags)::text <> '[]'")
    return text("contacts.flags <> '[]'")


def flagged(conn: AsyncConnection, flags: list[str]) -> ColumnElement[bool]:
    """The contact carries one of `flags` (the JSON list, read as text: both dialects can)."""
    if not flags:
        return false()
    return and_(any_flag(conn), or_(*(cast(c.flags, Text).like(f'%"{f}"%') for f in flags)))
