"""Standard 31, supervision and support: debrief meetings recorded, and an immediate debrief
offered after every contact the protocol marks stressful.

Stressful: a contact that ended carrying one of the protocol's `debrief.after` flags or
dispositions (without a `debrief` section: the imminent-danger flags). Offered: the engine
recorded `debrief_offered` for it at closing (the supervisor paged, the responder given a
break), or a supervisor recorded an immediate debrief naming it (`POST /v1/debriefs`).
Evidence: the debriefs recorded, then each offer (contact, responder, time), then each
stressful contact with neither."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger.flagged import flagged
from router.ledger.rated import rated
from router.ledger.schema import contacts, debriefs, events

c = contacts.c
CHUNK = 500


def stressful_marks(p: Protocol) -> list[str]:
    """The flags or dispositions that make a contact stressful under this protocol."""
    return sorted(set(p.debrief.after) if p.debrief else set(p.imminent_danger.flags))


async def stressful(conn: AsyncConnection, win: Any, p: Protocol) -> list[str]:
    """Ended contacts of the window the protocol marks stressful, in arrival order."""
    marks = stressful_marks(p)
    found: dict[str, datetime] = {}
    query = select(c.id, c.flags, c.received_at).where(win, c.outcome.is_not(None), flagged(conn, marks))
    for cid, got, at in await conn.execute(query):
        if set(got or []) & set(marks):
            found[str(cid)] = at
    if marks:
        query = select(c.id, c.received_at).where(win, c.outcome.is_not(None), c.disposition.in_(marks))
        for cid, at in await conn.execute(query):
            found[str(cid)] = at
    return sorted(found, key=lambda i: (found[i], i))


async def offers(conn: AsyncConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """contact id -> the first `debrief_offered` event for it: responder and time."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), CHUNK):
        query = (
            select(events.c.contact_id, events.c.at, events.c.data)
            .where(events.c.event == "debrief_offered", events.c.contact_id.in_(ids[i : i + CHUNK]))
            .order_by(events.c.at)
        )
        for cid, at, data in await conn.execute(query):
            out.setdefault(
                str(cid),
                {
                    "contact_id": cid,
                    "debrief_offered": at.isoformat(),
                    "responder": (data or {}).get("responder"),
                },
            )
    return out


async def s31(conn: AsyncConnection, start: datetime, end: datetime, win: Any, p: Protocol) -> dict[str, Any]:
    found = (
        await conn.execute(
            select(debriefs).where(debriefs.c.at >= start, debriefs.c.at < end).order_by(debriefs.c.at)
        )
    ).all()
    meetings = [d for d in found if d.kind == "meeting"]
    held = {cid for d in found if d.kind == "immediate" for cid in (d.contact_ids or [])}
    hard = await stressful(conn, win, p)
    offered = await offers(conn, hard)
    missing = [cid for cid in hard if cid not in offered and cid not in held]
    evidence: list[Any] = [
        {
            "debrief": d.id,
            "kind": d.kind,
            "at": d.at.isoformat(),
            "attendees": len(d.attendees or []),
            "contact_ids": d.contact_ids,
        }
        for d in found
    ]
    evidence += [{"contact_id": cid, "immediate_debrief": False} for cid in missing]
    evidence += [offered[cid] for cid in hard if cid in offered]
    if not found and not hard:
        return rated("not_rated", "no debrief and no stressful contact recorded in the period", [])
    if not meetings:
        return rated("does_not_meet", "no debrief meeting recorded in the period", evidence)
    months = {(start + timedelta(days=d)).strftime("%Y-%m") for d in range(max(1, (end - start).days))}
    met = {d.at.strftime("%Y-%m") for d in meetings}
    if missing:
        return rated(
            "meets",
            f"{len(meetings)} meetings; {len(missing)} of {len(hard)} stressful contacts had no immediate "
            "debrief offered",
            evidence,
        )
    if months <= met:
        return rated(
            "exceeds",
            f"meetings every month; an immediate debrief offered after all {len(hard)} stressful contacts",
            evidence,
        )
    return rated("meets", f"{len(meetings)} meetings, not one in every month of the period", evidence)
