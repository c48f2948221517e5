"""The compliance report (API.md), read from the SQL ledger for any window: counts, time to
answer, breaches, coverage by day, and Standards 27-32 rated with their evidence.

Definitions are fixed and written in docs/reports.md and router/ledger/queries.py:
`contacts` are people's contacts (callback and follow-up tasks are counted apart), a contact
still open and not yet past its deadline is `pending` (not a failure), and time to answer
is arrival to the first human response."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger import Ledger
from router.ledger.coverage import coverage
from router.ledger.queries import answer_times, breaches, counters, percentile_of, total_of, view, window_of
from router.ledger.schema import audit
from router.ledger.standards import rate_all
from schedules import RosterVersion

__all__ = ["acknowledgements", "compliance", "percentile_of"]


async def acknowledgements(conn: AsyncConnection) -> dict[str, list[str]]:
    """Protocol version -> the responders who acknowledged it (POST /v1/protocol/acknowledge)."""
    query = select(audit.c.detail, audit.c.actor).where(audit.c.action == "protocol_acknowledged")
    found: dict[str, list[str]] = {}
    for version, actor in await conn.execute(query):
        people = found.setdefault(str(version), [])
        if actor and actor not in people:
            people.append(str(actor))
    return found


async def compliance(
    ledger: Ledger,
    start: datetime,
    end: datetime,
    now: datetime,
    protocol: Protocol,
    roster: RosterVersion | None,
    channel: str | None = None,
) -> dict[str, Any]:
    """API.md's compliance report over [start, end), optionally one channel, in the hotline's zone."""
    zone = ZoneInfo(protocol.timezone)
    cov = coverage(roster, start, end, zone)
    report: dict[str, Any] = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": protocol.timezone,
        "channel": channel,
        "target_s": protocol.response_target.total_seconds(),
        "protocol_version": protocol.version,
    }
    async with ledger.engine.connect() as conn:
        by_channel = await counters(conn, start, end, now, channel)
        found = await breaches(conn, start, end, now, channel)
        standards = await rate_all(
            conn, start, end, now, protocol, cov, channel, await acknowledgements(conn)
        )
        total = total_of(by_channel)
        report.update(view(total, await answer_times(conn, window_of(start, end, channel), total)))
        report["by_channel"] = {
            ch: view(counts, await answer_times(conn, window_of(start, end, ch), counts))
            for ch, counts in sorted(by_channel.items())
        }
    report["breaches"] = found
    report["coverage"] = cov
    report["standards"] = standards
    return report
