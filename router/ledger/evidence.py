"""A standard's evidence, a page at a time (`GET /v1/reports/evidence`): the contacts that
fail it (27: closed without a disposition; 28: no protocol version; 29: not answered within
the target, or, once none is late, not acknowledged at once; 30: every flagged contact closed
or still open, with its report's facts and whether it was late or is overdue; 31: every
stressful contact, with its debrief offer when there was one). The report itself carries the
first page of each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger.flagged import flagged
from router.ledger.paging import Page, page
from router.ledger.schema import contacts
from router.ledger.standard31 import offers, stressful_marks
from router.ledger.standards import conditions
from router.ledger.tally import window_of

c = contacts.c
STANDARDS = ("27", "28", "29", "30", "31")


async def evidence_page(
    conn: AsyncConnection,
    standard: str,
    start: datetime,
    end: datetime,
    now: datetime,
    p: Protocol,
    channel: str | None,
    limit: int,
    after: str | None,
) -> Page:
    win = window_of(start, end, channel)
    conds = conditions(conn, win, now)
    if standard == "27":
        return await _ids(conn, conds["closed_undocumented"], limit, after)
    if standard == "28":
        return await _ids(conn, conds["unversioned"], limit, after)
    if standard == "29":
        late = await _ids(conn, conds["late"], limit, after)
        return late if late.total else await _ids(conn, conds["unacknowledged"], limit, after)
    if standard == "30":
        m = p.mandated_reporting
        cols = (
            c.id,
            c.report_agency,
            c.reported_at,
            c.client_informed,
            c.report_not_required,
            c.received_at,
            c.closed_at,
        )
        cond = and_(win, or_(c.outcome == "closed", c.outcome.is_(None)), flagged(conn, list(m.when_flags)))
        found = await page(conn, cols, cond, limit, after)
        return found.with_items([_reported(row, now, m.deadline) for row in found.rows])
    marks = stressful_marks(p)
    cond = and_(win, c.outcome.is_not(None), flagged(conn, marks) | c.disposition.in_(marks))
    found = await page(conn, (c.id,), cond, limit, after)
    ids = [str(r[0]) for r in found.rows]
    offered = await offers(conn, ids)
    return found.with_items([offered.get(i, {"contact_id": i, "immediate_debrief": False}) for i in ids])


def _reported(row: Any, now: datetime, deadline: timedelta) -> dict[str, Any]:
    """A flagged contact's report facts and timing: late when closed after the deadline, overdue
    when still open past it (as Standard 30 rates them)."""
    cid, agency, reported, informed, not_required, received, closed = row
    taken = (closed or now) - received
    return {
        "contact_id": cid,
        "agency": agency,
        "reported_at": reported,
        "client_informed": informed,
        "not_required": not_required,
        "received": received.isoformat(),
        "closed": closed.isoformat() if closed else None,
        "hours": round(taken.total_seconds() / 3600, 2),
        "late": closed is not None and taken > deadline,
        "overdue": closed is None and taken > deadline,
    }


async def _ids(conn: AsyncConnection, cond: Any, limit: int, after: str | None) -> Page:
    found = await page(conn, (c.id,), cond, limit, after)
    return found.with_items([{"contact_id": str(r[0])} for r in found.rows])
