"""On SQLite the writer binds its rows itself (router/ledger/sqlite_bind.py): what it stores must
be byte for byte what SQLAlchemy's own binding stored, in every table it fills, for the events
of a day with every kind of contact and of a simulated busy hotline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from router.clock import VirtualClock
from router.ledger import Ledger, sqlite_bind
from router.ledger.schema import audit, contacts, cursor, day_counts, events, summary_zone
from router.ledger.writer import Writer
from router.models import Event
from router.store import MemoryStore
from simulations.bench.sim_speed import busy_hotline
from simulations.runner import Simulation, quiet_router_logs
from tests.ledger.helpers import a_day

FILLED = (events, audit, contacts, day_counts, summary_zone, cursor)


async def _day_and_hotline(tmp_path: Path) -> tuple[list[Event], datetime]:
    scratch = Ledger.open(f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}")
    try:
        await scratch.upgrade()
        day = await a_day(scratch)
        await day.engine.store.record(
            [
                Event(
                    at=day.start,
                    event="audit",
                    actor="ana",
                    role="responder",
                    action="read",
                    detail="x" * 3000,
                )
            ]
        )
        found = [ev for _, ev in await day.engine.store.read_events("0", 1 << 40)]
    finally:
        await scratch.close()
    with quiet_router_logs():
        sim = await Simulation(busy_hotline(400)).run()
    found += [ev for _, ev in await sim.store.read_events("0", 1 << 40)]
    return found, max(day.clock.now(), sim.end) + timedelta(seconds=1)


async def _filed(path: Path, evs: list[Event], end: datetime) -> dict[str, list[tuple[Any, ...]]]:
    source = MemoryStore()
    await source.record(evs)
    ledger = Ledger.open(f"sqlite+aiosqlite:///{path}")
    try:
        await ledger.upgrade()
        await Writer(source, ledger, VirtualClock(end), batch=500).catch_up()
        async with ledger.reading() as conn:
            return {
                t.name: [tuple(r) for r in await conn.execute(text(f"SELECT * FROM {t.name} ORDER BY rowid"))]  # noqa: S608
                for t in FILLED
            }
    finally:
        await ledger.close()


async def test_rows_bound_here_are_stored_as_sqlalchemy_stored_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evs, end = await _day_and_hotline(tmp_path)
    assert {"received", "offered", "accepted", "closed", "abandoned", "audit"} <= {e.event for e in evs}
    here = await _filed(tmp_path / "here.db", evs, end)
    monkeypatch.setattr(sqlite_bind, "DIALECTS", set())
    theirs = await _filed(tmp_path / "theirs.db", evs, end)
    assert len(here["events"]) > 1000 and len(here["contacts"]) > 400 and here["audit"]
    for name in theirs:
        assert here[name] == theirs[name], name
    # Stored as text: times fixed-width naive UTC, JSON as json.dumps wrote it.
    at, data = here["events"][0][1], here["events"][0][4]
    assert isinstance(at, str) and len(at) == 26 and isinstance(data, str)


def test_a_naive_time_or_a_boolean_in_disguise_is_refused_as_sqlalchemy_refused_it() -> None:
    with pytest.raises(ValueError, match="aware times only"):
        sqlite_bind.utc_text(datetime(2026, 3, 2, 9, 0))
    assert sqlite_bind.utc_text(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) == "2026-03-02 09:00:00.000000"
    with pytest.raises(TypeError, match="not a boolean"):
        sqlite_bind.bool_int(1)
    assert sqlite_bind.json_text(None) == "null"
