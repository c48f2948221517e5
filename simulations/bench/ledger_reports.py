"""How long the compliance report takes over a year of 200,000 contacts, on SQLite and on
PostgreSQL (a benchmark, never a test).

    python -m simulations.bench.ledger_reports [--contacts 200000] [--postgres URL]

Fills a fresh ledger with a year of contact facts (the rows the writer would file: channels,
callback tasks, answers, abandons, breaches, flags, acknowledgements; seeded), builds the
per-day summary the writer keeps (as `safetynet ledger summarise` does; timed), then times the
whole report for the year, a month and one channel, five times each (the median and the
worst are printed). Without --postgres a throwaway server is started as the tests do."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from protocols import default_protocol
from router.ledger import Ledger, summary
from router.ledger.schema import contacts
from router.reports import compliance
from simulations.bench._postgres import postgres_server

START = datetime(2025, 1, 1, tzinfo=UTC)
CHANNELS = ["voice", "sms", "chat", "email"]


def year_rows(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    span = 365 * 86400
    rows = []
    # in arrival order, as the writer files them
    arrivals = sorted(rng.uniform(0, span) for _ in range(n))
    for i, at in enumerate(arrivals):
        received = START + timedelta(seconds=at)
        kind = "callback" if rng.random() < 0.04 else "contact"
        tta = rng.lognormvariate(5.0, 0.9)
        answered = rng.random() > 0.06
        flags = ["minor"] if rng.random() < 0.02 else []
        ended = received + timedelta(seconds=tta + rng.uniform(300, 3000))
        rows.append(
            {
                "id": f"c_{i:07d}",
                "kind": kind,
                "serves": f"c_{max(0, i - 3):07d}" if kind == "callback" else None,
                "channel": rng.choice(CHANNELS),
                "priority": "normal",
                "flags": flags,
                "language": "en",
                "received_at": received,
                "first_ack_at": received + timedelta(seconds=rng.uniform(0, 5)),
                "offered_at": received + timedelta(seconds=2),
                "answered_at": received + timedelta(seconds=tta) if answered else None,
                "time_to_answer_s": round(tta, 3) if answered else None,
                "ended_at": ended,
                "closed_at": ended if answered else None,
                "abandoned_at": None if answered else ended,
                "outcome": "closed" if answered else "abandoned",
                "deadline": received + timedelta(minutes=20),
                "target_s": 1200.0,
                "responder": f"r{rng.randrange(30)}",
                "disposition": "support_given" if answered else None,
                "report_agency": "county DSS" if flags else None,
                "reported_at": "2025-06-01" if flags else None,
                "client_informed": "yes" if flags else None,
                "roster_version": 1,
                "protocol_version": "v1",
                "breached": bool(not answered or tta > 1200),
                "escalation_level": 1 if tta > 300 else 0,
            }
        )
    return rows


async def timed(ledger: Ledger, start: datetime, end: datetime, channel: str | None) -> list[float]:
    p = default_protocol()
    out = []
    for _ in range(5):
        t = time.perf_counter()
        await compliance(ledger, start, end, START + timedelta(days=400), p, None, channel)
        out.append(time.perf_counter() - t)
    return out


async def bench(url: str, rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    ledger = Ledger.open(url)
    await ledger.upgrade()
    async with ledger.engine.begin() as conn:
        await conn.execute(contacts.delete())
        for i in range(0, len(rows), 10_000):
            await conn.execute(contacts.insert(), rows[i : i + 10_000])
    t = time.perf_counter()
    async with ledger.writing() as conn:
        kept = await summary.build(conn, ZoneInfo(default_protocol().timezone), START)
    built = time.perf_counter() - t
    year_end = START + timedelta(days=365)
    try:
        return {
            f"summary build ({kept:,} rows)": [built],
            "year": await timed(ledger, START, year_end, None),
            "month": await timed(ledger, START + timedelta(days=150), START + timedelta(days=181), None),
            "year, sms only": await timed(ledger, START, year_end, "sms"),
        }
    finally:
        await ledger.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.ledger_reports", description=__doc__)
    p.add_argument("--contacts", type=int, default=200_000)
    p.add_argument("--postgres", default=None, help="postgresql+asyncpg:// URL (default: a throwaway server)")
    args = p.parse_args(argv)
    rows = year_rows(args.contacts)
    with tempfile.TemporaryDirectory() as tmp:
        results = {"sqlite": asyncio.run(bench(f"sqlite+aiosqlite:///{Path(tmp) / 'l.db'}", rows))}
    if args.postgres:
        results["postgresql"] = asyncio.run(bench(args.postgres, rows))
    else:
        with postgres_server() as url:
            results["postgresql"] = asyncio.run(bench(url, rows))
    print(f"{args.contacts:,} contact rows over a year; report times (s), 5 runs each")
    for dialect, found in results.items():
        for what, times in found.items():
            print(f"  {dialect:<10} {what:<30} p50 {statistics.median(times):.3f}  max {max(times):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
