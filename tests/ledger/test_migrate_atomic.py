"""A migration cut off half-way (the process killed, the disk full, a bug) leaves the ledger as
it was, not half-built: the next start migrates it whole. On SQLite this takes an explicit
transaction (Python's sqlite3 runs DDL outside one of its own); PostgreSQL's DDL is
transactional anyway."""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from router.ledger import Ledger, migrate


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


async def test_a_migration_cut_off_half_way_leaves_nothing_half_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    ledger = Ledger.open(f"sqlite+aiosqlite:///{path}")
    real = command.upgrade

    def cut_off(cfg: Any, revision: str) -> None:
        real(cfg, revision)  # every table created...
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(command, "upgrade", cut_off)  # as migrate.py calls it
    try:
        with pytest.raises(RuntimeError, match="killed before the commit"):
            await ledger.upgrade()
        assert tables(path) == [], "a half-built schema would stop every later start"
        monkeypatch.undo()
        assert await ledger.upgrade() == migrate.ahead(None)
        assert "events" in tables(path) and "alembic_version" in tables(path)
        assert await ledger.pending() == []
    finally:
        await ledger.close()


async def test_a_starting_process_opens_a_file_ledger_only_in_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration lock is taken before the first connection: a process that opened the
    database (turning on WAL) while another held the migrations' write lock was refused at once
    ("database is locked") and exited; seen once in CI with four processes starting together."""
    path = tmp_path / "ledger.db"
    asked: list[bool] = []
    real = fcntl.flock

    def flock(fd: int, operation: int) -> None:
        asked.append(path.exists())  # had this process opened the database already?
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)  # as migrate.py calls it
    ledger = Ledger.open(f"sqlite+aiosqlite:///{path}")
    try:
        assert await ledger.upgrade() == migrate.ahead(None)
        assert await ledger.upgrade() == []  # up to date: still in its turn, nothing to do
    finally:
        await ledger.close()
    assert asked == [False, True]
