"""`safetynet ledger upgrade|write|summarise` and `safetynet retention [--dry-run]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import structlog

from protocols import default_protocol
from router import policy
from router.clock import SystemClock
from router.ledger import Ledger, retention, summary
from router.ledger.bounded import Bounds
from router.ledger.writer import Writer
from router.service import StartupError, open_ledger, open_store
from router.settings import Settings

log = structlog.get_logger("router.ledger")


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


@dataclass
class Stop:
    """SIGTERM or SIGINT, heard from the start of `ledger write` (as PID 1 in a container a
    signal without a handler is ignored, and the process killed at the end of the grace period
    with the writer's lock still held) and passed on to the writer once it runs."""

    asked: bool = False
    then: Callable[[], None] | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self)

    def __call__(self) -> None:
        self.asked = True
        if self.then is not None:
            self.then()


async def ledger_main(args: argparse.Namespace, settings: Settings) -> int:
    stop = Stop()
    if args.action == "write":
        stop.install()
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
            writer = Writer(store, ledger, SystemClock(), batch=max(1, args.batch))
            return await write(args, settings, writer, stop)
        finally:
            await store.close()
    finally:
        await ledger.close()


async def write(args: argparse.Namespace, settings: Settings, writer: Writer, stop: Stop) -> int:
    """File until stopped (`--once`: until the stream is filed). A signal lets the batch in
    hand commit, then the writer lets go of its lock, so a waiting writer takes over at once."""
    if args.once:
        total = 0
        while not stop.asked and (n := await writer.step()):
            total += n
        print(f"filed {total} events")
        return 0
    if stop.asked:
        return 0
    log.info("ledger_writer_started", owner=writer.owner, dialect=writer.ledger.dialect, batch=writer.batch)
    # From here a signal stops the writer; nothing runs between this and `run` clearing `stopping`.
    stop.then = writer.stop
    # As `serve`'s writer does: once filed, the stream is trimmed and ended contacts leave Redis
    # (the instances run no writer with SAFETYNET_LEDGER_WRITER=process).
    try:
        await writer.run(Bounds.of(settings, writer.store, writer.ledger, writer.clock))
    except Exception:
        # Logged as every line is (redacted, in the configured format), not a bare traceback:
        # a database error's text may quote the row it was filing. The supervisor restarts it.
        log.exception("ledger_writer_failed", owner=writer.owner, filed=writer.filed)
        return 1
    log.info("ledger_writer_stopped", owner=writer.owner, filed=writer.filed)
    return 0


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
