"""`safetynet ledger upgrade|write|summarise` and `safetynet retention [--dry-run]`."""

from __future__ import annotations

import argparse
import json
from zoneinfo import ZoneInfo

from protocols import default_protocol
from router import policy
from router.clock import SystemClock
from router.ledger import Ledger, retention, summary
from router.ledger.bounded import Bounds
from router.ledger.writer import Writer
from router.service import StartupError, open_ledger, open_store
from router.settings import Settings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lg = sub.add_parser(
        "ledger",
        help="the SQL ledger: apply migrations, run the writer alone, or rebuild the per-day summary",
    )
    lg.add_argument("action", choices=["upgrade", "write", "summarise"])
    lg.add_argument("--batch", type=int, default=2000, help="events per transaction (write)")
    lg.add_argument("--once", action="store_true", help="file what the stream holds, then stop (write)")
    rt = sub.add_parser("retention", help="apply the protocol's retention periods now")
    rt.add_argument("--dry-run", action="store_true", help="print what would go; change nothing")


async def ledger_main(args: argparse.Namespace, settings: Settings) -> int:
    ledger = await open_ledger(settings)  # runs pending migrations
    try:
        if args.action == "upgrade":
            print(f"ledger at head ({ledger.dialect})")
            return 0
        store = open_store(settings)
        try:
            if not await store.ping():
                raise StartupError("cannot reach Redis: start it or fix SAFETYNET_REDIS_URL")
            if args.action == "summarise":
                protocol = await policy.in_force(store) or default_protocol()
                return await summarise(ledger, ZoneInfo(protocol.timezone))
            clock = SystemClock()
            writer = Writer(store, ledger, clock, batch=max(1, args.batch))
            if args.once:
                print(f"filed {await writer.catch_up()} events")
                return 0
            # As `serve`'s writer does: once filed, the stream is trimmed and ended contacts
            # leave Redis (the instances run no writer with SAFETYNET_LEDGER_WRITER=process).
            await writer.run(Bounds.of(settings, store, ledger, clock))
            return 0
        finally:
            await store.close()
    finally:
        await ledger.close()


async def summarise(ledger: Ledger, zone: ZoneInfo) -> int:
    """Count every day afresh in the protocol's zone (the writer also does it by itself on its
    first batch in a zone it does not keep yet; this does it now, e.g. after a restore)."""
    async with ledger.writing() as conn:
        n = await summary.build(conn, zone, SystemClock().now())
    print(f"per-day summary rebuilt in {zone.key}: {n} rows")
    return 0


async def retention_main(args: argparse.Namespace, settings: Settings) -> int:
    ledger = await open_ledger(settings)
    store = open_store(settings)
    try:
        if not await store.ping():
            raise StartupError("cannot reach Redis: start it or fix SAFETYNET_REDIS_URL")
        protocol = await policy.in_force(store) or default_protocol()
        now = SystemClock().now()
        if args.dry_run:
            found = await retention.plan(ledger, protocol.retention, now)
            print(json.dumps({"dry_run": True, "would_purge": found}, indent=2))
        else:
            done = await retention.purge(store, ledger, protocol.retention, now)
            print(json.dumps({"purged": done}, indent=2))
        return 0
    finally:
        await store.close()
        await ledger.close()
