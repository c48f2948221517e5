"""The compliance report (API.md), read from the SQL ledger for any window: counts, time to
answer, breaches, coverage and counts by day, and Standards 27-32 rated with their evidence.

Definitions are fixed and written in docs/reports.md and router/ledger/queries.py:
`contacts` are people's contacts (callback and follow-up tasks are counted apart), a contact
still open and not yet past its deadline is `pending` (not a failure), and time to answer
is arrival to the first human response.

Read-only: the report opens one read connection (ledger.reading) and never files anything;
`filed_through` says how far the writer had filed the stream when it was read. The counts
are one grouped pass (tally.py), percentiles a second (a histogram), and the lists are their
first page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import Protocol
from router.ledger import Ledger
from router.ledger.coverage import coverage
from router.ledger.paging import DEFAULT_LIMIT
from router.ledger.queries import answer_times, breaches, histogram, merged, percentile_of, view
from router.ledger.schema import audit
from router.ledger.standards import rate_all
from router.ledger.tally import Counts, Tally, tally, window_of
from router.ledger.writer import read_cursor
from schedules import RosterVersion

__all__ = ["acknowledgements", "compliance", "daily", "percentile_of"]


async def acknowledgements(conn: AsyncConnection) -> dict[str, list[str]]:
    """Protocol version -> the responders who acknowledged it (POST /v1/protocol/acknowledge)."""
    query = select(audit.c.detail, audit.c.actor).where(audit.c.action == "protocol_acknowledged")
    found: dict[str, list[str]] = {}
    for version, actor in await conn.execute(query):
        people = found.setdefault(str(version), [])
        if actor and actor not in people:
            people.append(str(actor))
    return found


def _day(date: str, counts: Counts) -> dict[str, Any]:
    n = counts.n
    decided = n["contacts"] - n["pending"]
    answered = n["answered"]
    return {
        "date": date,
        **n,
        "decided": decided,
        "within_target_pct": round(100 * n["answered_within_target"] / decided, 2) if decided else None,
        "time_to_answer_s": {
            "mean": round(counts.wait_sum / answered, 3) if answered else None,
            "max": counts.wait_max,
        },
    }


def daily(counted: Tally) -> list[dict[str, Any]]:
    """Per local day of the window (days with any row), all of the report's channels together."""
    days: dict[str, Counts] = {}
    for (date, _), counts in sorted(counted.by_day.items()):
        into = days.setdefault(date, Counts())
        for key, value in counts.n.items():
            into.n[key] += value
        into.wait_sum += counts.wait_sum
        if counts.wait_max is not None and (into.wait_max is None or counts.wait_max > into.wait_max):
            into.wait_max = counts.wait_max
    return [_day(date, counts) for date, counts in sorted(days.items())]


async def filed_through(conn: AsyncConnection) -> dict[str, Any]:
    found = await read_cursor(conn)
    return {"stream_id": found[0] if found else None, "at": found[1].isoformat() if found else None}


async def compliance(
    ledger: Ledger,
    start: datetime,
    end: datetime,
    now: datetime,
    protocol: Protocol,
    roster: RosterVersion | None,
    channel: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """API.md's compliance report over [start, end), optionally one channel, in the hotline's zone.
    `breaches` holds the first `limit` (the rest: GET /v1/reports/breaches)."""
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
    win = window_of(start, end, channel)
    async with ledger.reading() as conn:
        report["filed_through"] = await filed_through(conn)
        counted = await tally(conn, start, end, now, channel, zone)
        hist = await histogram(conn, win)
        report.update(view(counted.total, await answer_times(conn, win, merged(hist), counted.total)))
        report["by_channel"] = {
            ch: view(counts, await answer_times(conn, window_of(start, end, ch), hist.get(ch, []), counts))
            for ch, counts in sorted(counted.by_channel.items())
        }
        found = await breaches(conn, win, now, limit, None, counted.total.n["breached"])
        standards = await rate_all(
            conn, start, end, now, protocol, cov, channel, await acknowledgements(conn), counted
        )
    report["breaches"] = found.items
    report["breaches_total"] = found.total
    report["breaches_next"] = found.next
    report["daily"] = daily(counted)
    report["coverage"] = cov
    report["standards"] = standards
    return report
