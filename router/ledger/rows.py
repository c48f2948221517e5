"""One row of facts per contact (the CSV export and GET /v1/reports/contacts), and one
contact's facts and timeline once live state has let go of it. Never a message, an address
or a note: the ledger holds none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from router.ledger.queries import window_of
from router.ledger.schema import contacts, events

c = contacts.c

COLUMNS = [
    "id",
    "kind",
    "serves",
    "channel",
    "priority",
    "flags",
    "language",
    "received_at",
    "first_ack_at",
    "offered_at",
    "accepted_at",
    "answered_at",
    "closed_at",
    "outcome",
    "time_to_answer_s",
    "within_target",
    "breached",
    "responder",
    "disposition",
    "referral_partner",
    "roster_version",
    "protocol_version",
]
_SELECTED = [
    c.id,
    c.kind,
    c.serves,
    c.channel,
    c.priority,
    c.flags,
    c.language,
    c.received_at,
    c.first_ack_at,
    c.offered_at,
    c.accepted_at,
    c.answered_at,
    c.ended_at,
    c.outcome,
    c.time_to_answer_s,
    c.target_s,
    c.deadline,
    c.breached,
    c.responder,
    c.disposition,
    c.referral_partner,
    c.roster_version,
    c.protocol_version,
]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def row_of(r: Row[Any], now: datetime) -> dict[str, Any]:
    m = r._mapping
    tta, target = m["time_to_answer_s"], m["target_s"]
    if tta is not None:
        within: bool | None = tta <= target
    elif m["outcome"] is None and m["deadline"] is not None and m["deadline"] > now:
        within = None  # pending: open, not yet past its deadline
    else:
        within = False
    return {
        "id": m["id"],
        "kind": m["kind"],
        "serves": m["serves"],
        "channel": m["channel"],
        "priority": m["priority"],
        "flags": list(m["flags"] or []),
        "language": m["language"],
        "received_at": _iso(m["received_at"]),
        "first_ack_at": _iso(m["first_ack_at"]),
        "offered_at": _iso(m["offered_at"]),
        "accepted_at": _iso(m["accepted_at"]),
        "answered_at": _iso(m["answered_at"]),
        "closed_at": _iso(m["ended_at"]),
        "outcome": m["outcome"],
        "time_to_answer_s": tta,
        "within_target": within,
        "breached": bool(m["breached"]),
        "responder": m["responder"],
        "disposition": m["disposition"],
        "referral_partner": m["referral_partner"],
        "roster_version": m["roster_version"],
        "protocol_version": m["protocol_version"],
    }


async def contact_rows(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    now: datetime,
    channel: str | None,
    contact_id: str | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The window's rows in arrival order; with `contact_id`, that contact's only (the manager's
    page opens one contact's facts without downloading the period's rows)."""
    cond = window_of(start, end, channel)
    if contact_id is not None:
        cond = and_(cond, c.id == contact_id)
    query = select(*_SELECTED).where(cond).order_by(c.received_at, c.id)
    result = await conn.stream(query)
    async for r in result:
        yield row_of(r, now)


async def contact_record(conn: AsyncConnection, contact_id: str, now: datetime) -> dict[str, Any] | None:
    """The contact view from the ledger: its facts and its timeline (no messages, no notes)."""
    found = (await conn.execute(select(contacts).where(c.id == contact_id))).first()
    if found is None:
        return None
    m = found._mapping
    view = row_of(found, now) | {
        "status": m["outcome"] or "open",
        "deadline": _iso(m["deadline"]),
        "escalation_level": m["escalation_level"],
        "pages_sent": m["pages_sent"],
        "mandated_report": {
            "agency": m["report_agency"],
            "reported_at": m["reported_at"],
            "reference": m["report_reference"],
            "client_informed": m["client_informed"],
            "not_required": m["report_not_required"],
        },
        "has_notes": m["has_notes"],
        "source": "ledger",
    }
    timeline = await conn.execute(
        select(events.c.at, events.c.event, events.c.data)
        .where(events.c.contact_id == contact_id)
        .order_by(events.c.at, events.c.stream_id)
    )
    view["timeline"] = [{"at": _iso(at), "event": ev, **(data or {})} for at, ev, data in timeline]
    view["messages"] = []
    return view
