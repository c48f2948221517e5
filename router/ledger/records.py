"""Debriefs (Standard 31) and the access audit, read and written in the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from router.ledger.db import Ledger
from router.ledger.schema import audit, debriefs


async def add_debrief(ledger: Ledger, record: dict[str, Any]) -> None:
    async with ledger.writing() as conn:
        await conn.execute(debriefs.insert().values(**record))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def list_debriefs(ledger: Ledger, start: datetime, end: datetime) -> list[dict[str, Any]]:
    query = select(debriefs).where(debriefs.c.at >= start, debriefs.c.at < end).order_by(debriefs.c.at)
    async with ledger.reading() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "at": _iso(d.at),
            "attendees": list(d.attendees or []),
            "contact_ids": list(d.contact_ids or []),
            "has_notes": bool(d.has_notes),
            "recorded_by": d.recorded_by,
            "recorded_at": _iso(d.recorded_at),
        }
        for d in rows
    ]


async def list_audit(
    ledger: Ledger,
    start: datetime,
    end: datetime,
    contact_id: str | None = None,
    actor: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    query = select(audit).where(audit.c.at >= start, audit.c.at < end)
    if contact_id:
        query = query.where(audit.c.contact_id == contact_id)
    if actor:
        query = query.where(audit.c.actor == actor)
    query = query.order_by(audit.c.at, audit.c.stream_id).limit(limit)
    async with ledger.reading() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "at": _iso(a.at),
            "actor": a.actor,
            "role": a.role,
            "action": a.action,
            "contact_id": a.contact_id,
            "detail": a.detail,
            "ip": a.ip,
        }
        for a in rows
    ]
