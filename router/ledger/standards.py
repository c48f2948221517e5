"""Standards 27-32 rated from the ledger, each with its evidence (docs/reports.md says how).
`not_rated` when the records cannot decide: never a guess."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, case, cast, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger.queries import pending_at, window_of
from router.ledger.schema import contacts, debriefs

c = contacts.c
EVIDENCE_MAX = 50
# An acknowledgement this soon after arrival is "immediate" (Standard 29, exceeds).
IMMEDIATE = timedelta(seconds=60)
DANGER_TOPICS = ("imminent danger", "missed-call callbacks", "holds")


def rated(rating: str, reason: str, evidence: list[Any]) -> dict[str, Any]:
    return {"rating": rating, "reason": reason, "evidence": evidence[:EVIDENCE_MAX]}


async def _ids(conn: AsyncConnection, *conds: Any) -> list[str]:
    query = select(c.id).where(*conds).order_by(c.received_at, c.id).limit(EVIDENCE_MAX)
    return [str(r[0]) for r in await conn.execute(query)]


def _missing(ids: list[str], n: int) -> list[Any]:
    return [{"contact_id": i} for i in ids] + ([{"more": n - len(ids)}] if n > len(ids) else [])


def _conditions(conn: AsyncConnection, win: Any, now: datetime) -> dict[str, Any]:
    people = and_(win, c.kind == "contact")
    decided = and_(people, ~pending_at(now))
    closed = and_(win, c.outcome == "closed")
    return {
        "all": win,
        "closed": closed,
        "closed_undocumented": and_(closed, or_(c.disposition.is_(None), c.disposition == "")),
        "unversioned": and_(win, c.protocol_version.is_(None)),
        "decided": decided,
        "late": and_(decided, or_(c.time_to_answer_s.is_(None), c.time_to_answer_s > c.target_s)),
        "unacknowledged": and_(decided, or_(c.first_ack_at.is_(None), ~acknowledged_at_once(conn))),
    }


async def stats(conn: AsyncConnection, conds: dict[str, Any]) -> dict[str, int]:
    """Every count the standards need, in one pass over the window."""
    names = list(conds)
    query = select(*(func.sum(case((conds[n], 1), else_=0)) for n in names)).where(conds["all"])
    row = (await conn.execute(query)).one()
    return {n: int(v or 0) for n, v in zip(names, row, strict=True)}


async def s27(
    conn: AsyncConnection, conds: dict[str, Any], st: dict[str, int], p: Protocol
) -> dict[str, Any]:
    n = st["closed"]
    if not n:
        return rated("not_rated", "no contact was closed in the period", [])
    bad = conds["closed_undocumented"]
    missing = st["closed_undocumented"]
    if missing:
        ids = await _ids(conn, bad)
        return rated(
            "does_not_meet",
            f"{missing} of {n} closed contacts document no disposition",
            _missing(ids, missing),
        )
    uncovered = [
        ch
        for ch in ("voice", "sms", "chat", "email")
        if not (p.channels.get(ch) and p.channels[ch].after_hours)
    ]
    evidence: list[Any] = [{"closed_with_disposition": n, "protocol_version": p.version}]
    if not uncovered:
        return rated(
            "exceeds",
            f"all {n} closed contacts document the support given; after-hours rules for every channel",
            evidence,
        )
    reason = (
        f"all {n} closed contacts document the support given; no after-hours rule for {', '.join(uncovered)}"
    )
    return rated("meets", reason, evidence)


async def s28(
    conn: AsyncConnection,
    conds: dict[str, Any],
    st: dict[str, int],
    p: Protocol,
    acknowledged: dict[str, list[str]],
) -> dict[str, Any]:
    win = conds["all"]
    n = st["all"]
    if not n:
        return rated("not_rated", "no contact in the period", [])
    bad = conds["unversioned"]
    missing = st["unversioned"]
    if missing:
        return rated(
            "does_not_meet",
            f"{missing} of {n} contacts record no protocol version",
            _missing(await _ids(conn, bad), missing),
        )
    versions = [
        str(r[0])
        for r in await conn.execute(select(c.protocol_version).where(win).group_by(c.protocol_version))
    ]
    evidence: list[Any] = [{"protocol_version": v} for v in sorted(versions)]
    if not acknowledged.get(p.version):
        return rated(
            "not_rated",
            "contacts routed under recorded versions; "
            f"no responder acknowledgement of version {p.version} is recorded",
            evidence,
        )
    evidence.append({"acknowledged_by": acknowledged[p.version], "protocol_version": p.version})
    covers = (
        bool(p.imminent_danger.flags)
        and any("missed" in r.when for r in p.callbacks)
        and any(s.hold for s in p.channels.values())
    )
    if covers:
        return rated(
            "exceeds",
            "recorded versions, acknowledged; the manual covers " + ", ".join(DANGER_TOPICS),
            evidence,
        )
    return rated("meets", "every contact routed under a recorded, acknowledged protocol version", evidence)


def acknowledged_at_once(conn: AsyncConnection) -> ColumnElement[bool]:
    """first_ack_at within IMMEDIATE of arrival, in each dialect's own date arithmetic."""
    limit = IMMEDIATE.total_seconds()
    if conn.dialect.name == "postgresql":
        return c.first_ack_at <= c.received_at + text(f"interval '{int(limit)} seconds'")
    return (func.julianday(c.first_ack_at) - func.julianday(c.received_at)) * 86400.0 <= limit


def flagged(flags: list[str]) -> ColumnElement[bool]:
    """The contact carries one of `flags` (the JSON list, read as text: both dialects can)."""
    if not flags:
        return false()
    return or_(*(cast(c.flags, Text).like(f'%"{f}"%') for f in flags))


async def s29(conn: AsyncConnection, conds: dict[str, Any], st: dict[str, int]) -> dict[str, Any]:
    n = st["decided"]
    if not n:
        return rated("not_rated", "no contact in the period has reached its deadline or an answer", [])
    late = conds["late"]
    missed = st["late"]
    if missed:
        return rated(
            "does_not_meet",
            f"{missed} of {n} contacts were not answered within the target",
            _missing(await _ids(conn, late), missed),
        )
    unacknowledged = conds["unacknowledged"]
    slow = st["unacknowledged"]
    if slow:
        return rated(
            "meets",
            f"all {n} contacts answered within the target; {slow} had no immediate recorded acknowledgement",
            _missing(await _ids(conn, unacknowledged), slow),
        )
    return rated(
        "exceeds",
        f"all {n} contacts answered within the target, each acknowledged at once",
        [{"contacts": n}],
    )


async def s30(conn: AsyncConnection, win: Any, p: Protocol) -> dict[str, Any]:
    flags = list(p.mandated_reporting.when_flags)
    rows = (
        await conn.execute(
            select(
                c.id, c.flags, c.report_agency, c.reported_at, c.client_informed, c.report_not_required
            ).where(win, c.outcome == "closed", flagged(flags))
        )
    ).all()
    flagged_rows = [r for r in rows if set(r[1] or []) & set(flags)]
    if not flagged_rows:
        return rated("not_rated", f"no contact flagged {' or '.join(flags)} was closed in the period", [])
    undocumented = [r[0] for r in flagged_rows if not r[5] and not (r[2] and r[3] and r[4])]
    if undocumented:
        return rated(
            "does_not_meet",
            f"{len(undocumented)} of {len(flagged_rows)} flagged contacts closed "
            "without a documented report or a reason none was due",
            _missing(undocumented[:EVIDENCE_MAX], len(undocumented)),
        )
    evidence = [
        {
            "contact_id": r[0],
            "agency": r[2],
            "reported_at": r[3],
            "client_informed": r[4],
            "not_required": r[5],
        }
        for r in flagged_rows
    ]
    uninformed = [r[0] for r in flagged_rows if not r[5] and str(r[4]).lower() in ("no", "false", "")]
    if uninformed:
        return rated(
            "meets",
            f"all {len(flagged_rows)} flagged contacts documented; {len(uninformed)} clients not informed",
            evidence,
        )
    return rated(
        "exceeds", f"all {len(flagged_rows)} flagged contacts documented, clients informed", evidence
    )


async def s31(conn: AsyncConnection, start: datetime, end: datetime, win: Any, p: Protocol) -> dict[str, Any]:
    found = (
        await conn.execute(
            select(debriefs).where(debriefs.c.at >= start, debriefs.c.at < end).order_by(debriefs.c.at)
        )
    ).all()
    meetings = [d for d in found if d.kind == "meeting"]
    covered = {cid for d in found if d.kind == "immediate" for cid in (d.contact_ids or [])}
    danger = set(p.imminent_danger.flags)
    stressful = [
        str(r[0])
        for r in await conn.execute(
            select(c.id, c.flags).where(win, c.outcome.is_not(None), flagged(sorted(danger)))
        )
        if set(r[1] or []) & danger
    ]
    missing = [cid for cid in stressful if cid not in covered]
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
    if not found and not stressful:
        return rated("not_rated", "no debrief and no stressful contact recorded in the period", [])
    if not meetings:
        return rated("does_not_meet", "no debrief meeting recorded in the period", evidence)
    months = {(start + timedelta(days=d)).strftime("%Y-%m") for d in range(max(1, (end - start).days))}
    met = {d.at.strftime("%Y-%m") for d in meetings}
    if missing:
        return rated(
            "meets",
            f"{len(meetings)} meetings; {len(missing)} stressful contacts had no immediate debrief",
            evidence,
        )
    if months <= met:
        return rated(
            "exceeds",
            f"meetings every month; immediate debriefs after all {len(stressful)} stressful contacts",
            evidence,
        )
    return rated("meets", f"{len(meetings)} meetings, not one in every month of the period", evidence)


def s32(cov: dict[str, Any]) -> dict[str, Any]:
    version = cov.get("roster_version")
    if version is None:
        return rated("does_not_meet", "no published roster", [])
    evidence: list[Any] = [{"roster_version": version}]
    if cov["primary_gap_s"]:
        return rated(
            "does_not_meet",
            f"{cov['primary_gap_s']:.0f}s without a primary on call",
            evidence + cov.get("primary_gaps", []),
        )
    if cov["backup_gap_s"]:
        return rated(
            "meets",
            f"24/7 primary; {cov['backup_gap_s']:.0f}s without a backup who is another person",
            evidence + cov.get("backup_gaps", []),
        )
    return rated("exceeds", "24/7 primary, and a backup who is another person throughout", evidence)


async def rate_all(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    now: datetime,
    p: Protocol,
    cov: dict[str, Any],
    channel: str | None,
    acknowledged: dict[str, list[str]],
) -> dict[str, Any]:
    win = window_of(start, end, channel)
    conds = _conditions(conn, win, now)
    st = await stats(conn, conds)
    return {
        "27": await s27(conn, conds, st, p),
        "28": await s28(conn, conds, st, p, acknowledged),
        "29": await s29(conn, conds, st),
        "30": await s30(conn, win, p),
        "31": await s31(conn, start, end, win, p),
        "32": s32(cov),
    }
