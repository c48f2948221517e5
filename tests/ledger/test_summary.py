"""The per-day summary the writer keeps equals the counts made from the rows: after random
batches of random traffic (out of order, over a change to summer time, some contacts still
open), after a writer dies inside a batch's transaction (nothing of that batch is left: rows,
summary and cursor roll back together) and after a new writer takes over; and a report over
whole days (summary) and partial ones (rows) counts exactly what the rows alone count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import default_protocol
from router.clock import VirtualClock
from router.ledger import Ledger, summary
from router.ledger.grouping import grouped, window_of
from router.ledger.schema import contacts, day_counts, summary_zone
from router.ledger.tally import Tally, tally
from router.ledger.writer import Writer, read_cursor
from router.models import Event
from router.reports import compliance
from router.store import MemoryStore

ZONE = ZoneInfo(default_protocol().timezone)
# Saturday 7 March 2026, New York: summer time starts on the Sunday at 02:00.
FIRST = datetime(2026, 3, 7, tzinfo=ZONE).astimezone(UTC)
DAYS = 4
CHANNELS = ("voice", "sms", "chat", "email")


def ev(received: datetime, after_s: float, name: str, cid: str, **extra: Any) -> Event:
    return Event(at=received + timedelta(seconds=after_s), event=name, contact_id=cid, **extra)


def traffic(seed: int, n: int) -> tuple[list[Event], datetime]:
    """n contacts over DAYS local days: answered in time or late, abandoned, handed off, some
    breached, some without a disposition, some tasks; events in time order, so later events of
    one contact land in later batches. Returns the events and the moment the last one happened."""
    rng = random.Random(seed)
    span = (DAYS * 24 - 1) * 3600
    out: list[Event] = []
    for i in range(n):
        cid = f"c_{i:04d}"
        at = FIRST + timedelta(seconds=rng.uniform(0, span))
        flags = ["callback"] if rng.random() < 0.1 else (["follow_up"] if rng.random() < 0.05 else [])
        out.append(
            Event(
                at=at, event="received", contact_id=cid, channel=rng.choice(CHANNELS), priority="normal",
                flags=flags, target_s=1200.0, protocol_version=rng.choice(["v1", "v2", None]),
            )
        )  # fmt: skip
        if rng.random() < 0.7:
            out.append(
                Event(at=at + timedelta(seconds=rng.uniform(0, 90)), event="acknowledged", contact_id=cid)
            )
        fate = rng.random()
        tta = rng.uniform(5, 2400)
        if tta > 1200 and fate < 0.8:
            out.append(ev(at, 1200, "breached", cid, level=3))
        if fate < 0.7:
            out.append(ev(at, tta, "answered", cid, time_to_answer_s=tta))
            disposition = rng.choice(["support_given", "referral", ""])
            out.append(
                Event(
                    at=at + timedelta(seconds=tta + 600),
                    event="closed",
                    contact_id=cid,
                    disposition=disposition,
                )
            )
        elif fate < 0.8:
            out.append(
                Event(at=at + timedelta(seconds=rng.uniform(10, 900)), event="abandoned", contact_id=cid)
            )
        elif fate < 0.85:
            out.append(
                Event(at=at + timedelta(seconds=1300), event="handed_off", contact_id=cid, partner="p")
            )
        # else: still open when the traffic stops
    out.sort(key=lambda e: e.at)
    now = out[-1].at + timedelta(minutes=1)
    for i in range(5):  # open, unanswered and not yet late: pending at `now`
        received = now - timedelta(minutes=rng.uniform(1, 10))
        out.append(Event(at=received, event="received", contact_id=f"p_{i}", channel="chat", target_s=1200.0))
    return out, now


def shape(t: Tally) -> dict[str, Any]:
    return {
        "total": t.total.n,
        "wait": (round(t.total.wait_sum, 6), t.total.wait_max),
        "channels": {ch: (x.n, round(x.wait_sum, 6), x.wait_max) for ch, x in t.by_channel.items()},
        "days": {k: (x.n, round(x.wait_sum, 6), x.wait_max) for k, x in t.by_day.items()},
        "stats": dict(t.stats),
        "versions": t.versions,
    }


async def rows_only(conn: AsyncConnection, *args: Any) -> Tally:
    """The same tally with the summary out of the way (inside a transaction rolled back)."""
    async with conn.begin_nested():
        await conn.execute(delete(summary_zone))
        found = await tally(conn, *args)
        await conn.rollback()
    return found


async def check(ledger: Ledger, now: datetime) -> None:
    """The summary holds exactly the rows' per-day counts; reports from it equal the rows'."""
    async with ledger.engine.connect() as conn:
        assert await summary.kept_zone(conn) == ZONE.key
        kept = {(*tuple(r)[1:8], round(r[8], 6), r[9]) for r in await conn.execute(select(day_counts))}
        lo, hi = FIRST - timedelta(days=1), FIRST + timedelta(days=DAYS + 1)
        found = await conn.execute(grouped(conn, window_of(lo, hi, None), lo, hi, None, ZONE))
        assert kept == {(*tuple(r)[:7], round(r[7], 6), r[8]) for r in found}
        windows = [
            (FIRST, datetime(2026, 3, 11, tzinfo=ZONE), None),  # whole days only
            (FIRST, FIRST + timedelta(days=DAYS), None),  # and an hour of 11 March (summer time)
            (FIRST + timedelta(hours=5, minutes=7), FIRST + timedelta(days=3, hours=2), None),  # edges
            (FIRST + timedelta(hours=30), FIRST + timedelta(days=DAYS), "sms"),
            (FIRST + timedelta(hours=2), FIRST + timedelta(hours=9), None),  # inside one day
        ]
        for start, end, channel in windows:
            assert summary.whole_days(start, end, ZONE) is not None or end - start < timedelta(days=1)
            with_summary = await tally(conn, start, end, now, channel, ZONE)
            assert shape(with_summary) == shape(await rows_only(conn, start, end, now, channel, ZONE))


@pytest.mark.parametrize("seed", [1, 2])
async def test_summary_equals_the_rows_after_random_batches_and_a_crash(
    ledger: Ledger, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore("t")
    events, last = traffic(seed, 300)
    await store.record(events)
    rng = random.Random(seed)
    clock = VirtualClock(last)
    writer = Writer(store, ledger, clock, batch=rng.randint(20, 120))
    crashed = False
    while True:
        writer.batch = rng.randint(20, 120)
        if not crashed and rng.random() < 0.25:
            crashed = True
            async with ledger.engine.connect() as conn:
                before = (await read_cursor(conn), await _counts(conn))

            async def dies(*_: Any) -> None:
                raise RuntimeError("killed inside the batch's transaction")

            monkeypatch.setattr(summary, "keep", dies)
            with pytest.raises(RuntimeError):
                await writer.step()
            monkeypatch.undo()
            async with ledger.engine.connect() as conn:
                assert (await read_cursor(conn), await _counts(conn)) == before
            writer = Writer(store, ledger, clock)  # a new writer takes over from the cursor
            continue
        if not await writer.step():
            break
        await check(ledger, last - timedelta(minutes=rng.randint(0, 30)))
    assert crashed
    await check(ledger, last)
    async with ledger.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(contacts))).scalar() == 305


async def _counts(conn: AsyncConnection) -> tuple[int, int]:
    n = (await conn.execute(select(func.count()).select_from(contacts))).scalar()
    k = (await conn.execute(select(func.coalesce(func.sum(day_counts.c.n), 0)))).scalar()
    return int(n or 0), int(k or 0)


async def test_a_report_over_whole_days_reads_the_summary_and_counts_the_same(ledger: Ledger) -> None:
    store = MemoryStore("t")
    events, last = traffic(3, 200)
    await store.record(events)
    clock = VirtualClock(last)
    await Writer(store, ledger, clock).catch_up()
    p = default_protocol()
    start, end = FIRST, FIRST + timedelta(days=DAYS + 1)  # whole days, then one hour of summer time
    assert summary.whole_days(start, end, ZONE) is not None
    report = await compliance(ledger, start, end, last, p, None)
    async with ledger.engine.begin() as conn:
        await conn.execute(delete(summary_zone))
    rows = await compliance(ledger, start, end, last, p, None)
    assert report == rows
    assert sum(d["contacts"] for d in report["daily"]) == report["contacts"] > 0
    assert report["pending"] == 5
    assert [d["date"] for d in report["daily"]][:4] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    # The summary is rebuilt by the next batch (or `safetynet ledger summarise`)
    async with ledger.engine.begin() as conn:
        assert await summary.build(conn, ZONE, last) > 0
        assert await summary.kept_zone(conn) == ZONE.key
