"""A batch is filed in slices, the event loop free between them (a timer due meanwhile is not
held for the whole batch), and still in one transaction with its cursor: every event, once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.ledger import Ledger, writer
from router.ledger.schema import contacts, events
from router.ledger.writer import Writer, read_cursor
from router.store import MemoryStore
from tests.ledger.helpers import DAYTIME
from tests.router.helpers import sms


async def test_a_batch_larger_than_a_slice_is_filed_whole_with_the_loop_free_between(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore("t")
    engine = Engine(store, VirtualClock(DAYTIME), default_protocol())
    n = writer.SLICE * 3 + 7  # several slices, the last partial
    for i in range(n):
        await engine.intake(sms("hello", sender=f"+1555{i:07d}"))
    w = Writer(store, ledger, VirtualClock(DAYTIME))
    sent: list[int] = []  # rows per statement the writer sends
    execute = AsyncConnection.execute

    async def counted(self: AsyncConnection, statement: Any, rows: Any = None, **kw: Any) -> Any:
        if isinstance(rows, list):
            sent.append(len(rows))
        return await execute(self, statement, rows, **kw)

    monkeypatch.setattr(AsyncConnection, "execute", counted)
    driver_sql = AsyncConnection.exec_driver_sql

    async def counted_raw(self: AsyncConnection, sql: str, rows: Any = None, **kw: Any) -> Any:
        if isinstance(rows, list):  # SQLite's rows, bound by the writer (router/ledger/sqlite_bind.py)
            sent.append(len(rows))
        return await driver_sql(self, sql, rows, **kw)

    monkeypatch.setattr(AsyncConnection, "exec_driver_sql", counted_raw)
    turns = [0]

    async def other_work() -> None:
        while True:
            turns[0] += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    try:
        await asyncio.sleep(0)
        started = turns[0]
        assert await w.step() == n, "one step files the whole batch"
        assert turns[0] - started >= 4, "the loop ran nothing else while the batch was filed"
        assert sent and max(sent) <= writer.SLICE, f"rows sent at once: {max(sent)}"
    finally:
        task.cancel()
    stream = await store.read_events("0", 10 * n)
    async with ledger.reading() as conn:
        assert (await read_cursor(conn) or ("", None))[0] == stream[-1][0]
        assert (await conn.execute(select(func.count()).select_from(events))).scalar() == len(stream)
        assert (await conn.execute(select(func.count()).select_from(contacts))).scalar() == n
    assert await w.step() == 0, "nothing filed twice"


async def test_contact_upserts_are_built_once_per_shape_and_file_the_same_rows(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore("t")
    engine = Engine(store, VirtualClock(DAYTIME), default_protocol())
    w = Writer(store, ledger, VirtualClock(DAYTIME))
    monkeypatch.setattr(writer, "_CONTACT_UPDATES", {})
    monkeypatch.setattr(writer, "_CONTACT_INSERTS", {})
    built: list[tuple[str, ...]] = []
    build = writer._build_contact_update

    def counted(conn: AsyncConnection, keys: tuple[str, ...]) -> Any:
        built.append(keys)
        return build(conn, keys)

    monkeypatch.setattr(writer, "_build_contact_update", counted)
    for batch in range(3):  # three batches of the same kinds of rows
        for i in range(5):
            await engine.intake(sms("hello", sender=f"+1555{batch}{i:06d}"))
        assert await w.step() == 5
    # Each shape of row was built once, not once per batch (a statement's `excluded` copies
    # every column of the table: ~4 ms each time), and every contact is filed.
    assert built and len(built) == len(set(built))
    async with ledger.reading() as conn:
        assert (await conn.execute(select(func.count()).select_from(contacts))).scalar() == 15
        assert (await conn.execute(select(func.count()).select_from(events))).scalar() == 15
