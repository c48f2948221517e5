"""Standard 30, mandatory reporting: every contact flagged by `mandated_reporting.when_flags`
closed with a documented report (agency, time, client informed) or a documented reason none
was due, and closed so within the protocol's `deadline` of its arrival.

The protocol in force when the report is made decides the flags and the deadline. A flagged
contact closed more than `deadline` after it arrived, or still open at the report's moment and
already past it (overdue), fails the standard: each is listed with its arrival, its close and
the hours taken. One still open and within its deadline is pending: neither success nor
failure yet, as in the report's counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from protocols.wording import duration
from router.ledger.flagged import flagged
from router.ledger.rated import EVIDENCE_MAX, rated
from router.ledger.schema import contacts

c = contacts.c


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def _capped(items: list[dict[str, Any]]) -> list[Any]:
    """The first EVIDENCE_MAX items, then `{more: n}` for the rest (as every standard's evidence)."""
    more = len(items) - EVIDENCE_MAX
    return list(items[:EVIDENCE_MAX]) + ([{"more": more}] if more > 0 else [])


def _timing(r: Any, now: datetime) -> dict[str, Any]:
    """When a late or overdue contact arrived, closed (None while open) and the hours it took
    (so far, while open)."""
    return {
        "contact_id": r.id,
        "received": r.received_at.isoformat(),
        "closed": r.closed_at.isoformat() if r.closed_at else None,
        "hours": _hours(r.received_at, r.closed_at or now),
    }


def _late(r: Any, deadline: timedelta) -> bool:
    return r.closed_at is not None and r.closed_at - r.received_at > deadline


def _documented(r: Any) -> bool:
    return bool(r.report_not_required) or bool(r.report_agency and r.reported_at and r.client_informed)


def _uninformed(r: Any) -> bool:
    return not r.report_not_required and str(r.client_informed).lower() in ("no", "false", "")


def _contacts(n: int) -> str:
    return f"{n} flagged contact{'s' if n != 1 else ''}"


def _pending(n: int, within: str) -> str:
    return f"{_contacts(n)} still open within the {within} deadline (pending)"


async def s30(conn: AsyncConnection, win: Any, p: Protocol, now: datetime) -> dict[str, Any]:
    m = p.mandated_reporting
    flags = list(m.when_flags)
    within = duration(m.deadline)
    query = (
        select(
            c.id,
            c.flags,
            c.outcome,
            c.received_at,
            c.closed_at,
            c.report_agency,
            c.reported_at,
            c.client_informed,
            c.report_not_required,
        )
        .where(win, or_(c.outcome == "closed", c.outcome.is_(None)), flagged(conn, flags))
        .order_by(c.received_at, c.id)
    )
    rows = [r for r in (await conn.execute(query)).all() if set(r.flags or []) & set(flags)]
    closed = [r for r in rows if r.outcome == "closed"]
    still_open = [r for r in rows if r.outcome is None]
    overdue = [r for r in still_open if now - r.received_at > m.deadline]
    pending = len(still_open) - len(overdue)
    if not closed and not overdue:
        if pending:
            return rated("not_rated", _pending(pending, within) + "; none closed in the period", [])
        return rated("not_rated", f"no contact flagged {' or '.join(flags)} was closed in the period", [])

    undocumented = [r for r in closed if not _documented(r)]
    late = [r for r in closed if _late(r, m.deadline)]
    failed: list[str] = []
    if undocumented:
        failed.append(
            f"{len(undocumented)} of {len(closed)} flagged contacts closed "
            "without a documented report or a reason none was due"
        )
    if late:
        failed.append(f"{len(late)} of {len(closed)} flagged contacts closed after the {within} deadline")
    if overdue:
        failed.append(f"{_contacts(len(overdue))} still open past the {within} deadline (overdue)")
    tail = f"; {_pending(pending, within)}" if pending else ""
    if failed:
        evidence = [{"contact_id": r.id} for r in undocumented] + [_timing(r, now) for r in late + overdue]
        return rated("does_not_meet", "; ".join(failed) + tail, _capped(evidence))

    evidence = _capped(
        [
            {
                "contact_id": r.id,
                "agency": r.report_agency,
                "reported_at": r.reported_at,
                "client_informed": r.client_informed,
                "not_required": r.report_not_required,
                "hours": _hours(r.received_at, r.closed_at) if r.closed_at else None,
            }
            for r in closed
        ]
    )
    done = f"all {len(closed)} flagged contacts documented within the {within} deadline"
    uninformed = [r.id for r in closed if _uninformed(r)]
    if uninformed:
        return rated("meets", f"{done}; {len(uninformed)} clients not informed{tail}", evidence)
    return rated("exceeds", f"{done}, clients informed{tail}", evidence)
