"""Standards 27-32 rated from the ledger, each with its evidence (docs/reports.md says how).
`not_rated` when the records cannot decide: never a guess. The counts come from the
report's one pass (tally.py); an evidence list is its first page (paging.py), and
`GET /v1/reports/evidence` pages through the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger.paging import page
from router.ledger.rated import EVIDENCE_MAX, rated
from router.ledger.schema import contacts
from router.ledger.standard30 import s30
from router.ledger.standard31 import s31
from router.ledger.tally import Tally, acknowledged_at_once, pending_at, window_of

__all__ = ["EVIDENCE_MAX", "conditions", "rate_all"]

c = contacts.c
DANGER_TOPICS = ("imminent danger", "missed-call callbacks", "holds")


async def _ids(conn: AsyncConnection, cond: Any, total: int) -> list[str]:
    found = await page(conn, (c.id,), cond, EVIDENCE_MAX, None, total)
    return [str(r[0]) for r in found.rows]


async def _count(conn: AsyncConnection, cond: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(contacts).where(cond))).scalar() or 0)


def _missing(ids: list[str], n: int) -> list[Any]:
    return [{"contact_id": i} for i in ids] + ([{"more": n - len(ids)}] if n > len(ids) else [])


def conditions(conn: AsyncConnection, win: Any, now: datetime) -> dict[str, Any]:
    """Each standard's failing rows, as a condition (its evidence list pages through them)."""
    people = and_(win, c.kind == "contact")
    decided = and_(people, ~pending_at(now))
    closed = and_(win, c.outcome == "closed")
    return {
        "closed_undocumented": and_(closed, or_(c.disposition.is_(None), c.disposition == "")),
        "unversioned": and_(win, c.protocol_version.is_(None)),
        "late": and_(decided, or_(c.time_to_answer_s.is_(None), c.time_to_answer_s > c.target_s)),
        "unacknowledged": and_(decided, or_(c.first_ack_at.is_(None), ~acknowledged_at_once(conn))),
    }


async def s27(
    conn: AsyncConnection, conds: dict[str, Any], st: dict[str, int], p: Protocol
) -> dict[str, Any]:
    n = st["closed"]
    if not n:
        return rated("not_rated", "no contact was closed in the period", [])
    missing = st["closed_undocumented"]
    if missing:
        ids = await _ids(conn, conds["closed_undocumented"], missing)
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
    versions: set[str],
) -> dict[str, Any]:
    n = st["all"]
    if not n:
        return rated("not_rated", "no contact in the period", [])
    missing = st["unversioned"]
    if missing:
        return rated(
            "does_not_meet",
            f"{missing} of {n} contacts record no protocol version",
            _missing(await _ids(conn, conds["unversioned"], missing), missing),
        )
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


async def s29(conn: AsyncConnection, conds: dict[str, Any], st: dict[str, int]) -> dict[str, Any]:
    n = st["decided"]
    if not n:
        return rated("not_rated", "no contact in the period has reached its deadline or an answer", [])
    missed = st["late"]
    if missed:
        return rated(
            "does_not_meet",
            f"{missed} of {n} contacts were not answered within the target",
            _missing(await _ids(conn, conds["late"], missed), missed),
        )
    slow = await _count(conn, conds["unacknowledged"])
    if slow:
        return rated(
            "meets",
            f"all {n} contacts answered within the target; {slow} had no immediate recorded acknowledgement",
            _missing(await _ids(conn, conds["unacknowledged"], slow), slow),
        )
    return rated(
        "exceeds",
        f"all {n} contacts answered within the target, each acknowledged at once",
        [{"contacts": n}],
    )


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
    counted: Tally,
) -> dict[str, Any]:
    """The six ratings; their counts come from the report's one pass (`counted`)."""
    win = window_of(start, end, channel)
    conds = conditions(conn, win, now)
    st = counted.stats
    return {
        "27": await s27(conn, conds, st, p),
        "28": await s28(conn, conds, st, p, acknowledged, counted.versions),
        "29": await s29(conn, conds, st),
        "30": await s30(conn, win, p, now),
        "31": await s31(conn, start, end, win, p),
        "32": s32(cov),
    }
