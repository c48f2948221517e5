"""Bringing the ledger's schema up to date (Alembic, run from code), safely from several
processes at once: every instance and every writer migrates at start, and in compose or
Kubernetes they start together. The first takes a lock, migrates and commits; the others wait
for the lock and then find nothing left to do (without it, one lost the race on a table that
already existed and exited with code 2, to be restarted)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL: the session-level advisory lock the migrations run under (one fixed 64-bit key,
# "SNledger" read as a number, so no other application's key is likely to meet it).
ADVISORY_KEY = int.from_bytes(b"SNledger", "big")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def ahead(revision: str | None) -> list[str]:
    """The migrations after `revision` (None: an empty database), oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    found = [r.revision for r in script.walk_revisions(base=revision or "base", head="heads")]
    return [r for r in reversed(found) if r != revision]


async def upgrade(engine: AsyncEngine) -> list[str]:
    """Apply what is pending; the revisions this call applied (none when another process did it
    first). A file ledger's caller holds `file_lock` (db.Ledger.upgrade); PostgreSQL's lock is
    taken here, on the connection the migrations run on."""
    async with engine.connect() as conn:
        return await conn.run_sync(_upgrade)


def _upgrade(conn: Connection) -> list[str]:
    with _advisory_lock(conn):
        # Read under the lock: what a process that held it before has committed is seen here.
        todo = ahead(current(conn))
        conn.rollback()  # the read's transaction: the migrations run in one of their own
        if todo:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            with conn.begin():  # Alembic runs inside it; committed before the lock is let go
                if conn.dialect.name == "sqlite":
                    # Python's sqlite3 opens a transaction only before a data change, so every
                    # CREATE ran on its own and a migration cut off half-way left half a schema
                    # (and every later start failing on a table that exists). SQLite's DDL is
                    # transactional once a transaction is open: open it, taking the write lock.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                command.upgrade(cfg, "head")
    return todo


@contextmanager
def _advisory_lock(conn: Connection) -> Iterator[None]:
    """PostgreSQL: hold the migration lock on the connection the migrations run on, for the
    session (a transaction-level one would be let go at the first commit), and let it go after
    they are committed; on another database, nothing."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
    conn.commit()
    try:
        yield
    finally:
        # A rolled-back transaction does not let go of a session-level lock: this does (and
        # a connection that broke has ended its session, which let go of it too).
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        conn.commit()


@asynccontextmanager
async def file_lock(database: Path | None) -> AsyncIterator[None]:
    """SQLite: an exclusive lock on a file beside the database, held from before a starting
    process first opens it until its migrations are committed. SQLite's own locking is not
    enough: Python's sqlite3 runs DDL outside a transaction, so a second process read "no schema
    yet" while the first was half-way and then created a table that exists; and a process that
    opened the database (its first connection turns on WAL) while another held the migrations'
    write lock was refused at once ("database is locked": SQLite does not wait where waiting
    could deadlock), and exited. None (an in-memory ledger, or PostgreSQL): nothing to lock."""
    if database is None:
        yield
        return
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)  # waits off the event loop
        yield
    finally:
        os.close(fd)  # closing lets go of the lock
