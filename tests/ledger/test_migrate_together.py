"""Several processes starting at once (compose, Kubernetes, `serve` beside `ledger write`) each
bring the ledger up to date: on a fresh database, all of them succeed and the migrations run
once (PostgreSQL: an advisory lock; SQLite: a lock file beside the database)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from router.ledger import Ledger
from router.ledger.migrate import alembic_config

pytestmark = pytest.mark.slow
PROCESSES = 4
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fresh_postgres(postgres_url: str) -> AsyncIterator[str]:
    """A database of its own on the session's server, dropped afterwards."""
    name = f"migrate_{secrets.token_hex(4)}"
    admin = create_async_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _together(url: str, n: int) -> list[subprocess.CompletedProcess[str]]:
    """`n` processes migrating `url`, all told to begin at the same instant (after their imports)."""
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.ledger.migrate_at", url, str(start)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


async def _check(url: str) -> None:
    done = _together(url, PROCESSES)
    assert [p.returncode for p in done] == [0] * PROCESSES, [p.stderr[-600:] for p in done]
    applied = [json.loads(p.stdout) for p in done]
    script = ScriptDirectory.from_config(alembic_config())
    every = [r.revision for r in reversed(list(script.walk_revisions()))]
    # One of them ran every migration; the others waited and found nothing left to do.
    assert sorted(applied, key=len) == [[]] * (PROCESSES - 1) + [every]
    ledger = Ledger.open(url)
    try:
        assert await ledger.pending() == []
        async with ledger.reading() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [r[0] for r in rows] == [script.get_current_head()]
    finally:
        await ledger.close()


async def test_on_postgresql(fresh_postgres: str) -> None:
    await _check(fresh_postgres)


async def test_on_sqlite(tmp_path: Path) -> None:
    await _check(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
