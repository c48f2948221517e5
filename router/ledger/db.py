"""Opening the ledger, bringing its schema up to date (migrate.py), and the dialect-aware
upsert both SQLite and PostgreSQL understand."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlalchemy.sql.dml import Insert

from router.ledger import migrate
from router.ledger.gate import Gate

SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")


class LedgerError(Exception):
    """The ledger cannot be opened or brought up to date; the message says what to do."""


def redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def _sqlite_pragmas(dbapi: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    cur = dbapi.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (reports) never wait for the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MB of pages: a year's report scans stay in memory
    cur.execute("PRAGMA mmap_size=536870912")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


@dataclass
class Ledger:
    url: str
    engine: AsyncEngine
    anchor: sqlite3.Connection | None = None
    # A file ledger's database file: migrations take turns by a lock file beside it.
    file: Path | None = None
    # Only an in-memory ledger needs readers and writers to take turns (gate.py says why).
    gate: Gate | None = field(default=None)

    @classmethod
    def open(cls, url: str) -> Ledger:
        if not url.startswith(SCHEMES):
            raise LedgerError(
                f"SAFETYNET_LEDGER_URL={redact(url)!r} is not a sqlite+aiosqlite:// or "
                "postgresql+asyncpg:// URL"
            )
        kwargs: dict[str, Any] = {}
        memory = url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:")
        anchor = None
        file = None
        if memory:
            # One in-memory database shared by every session, kept alive by a plain connection
            # (so no pooled async connection outlives an instance that was never stopped).
            name = f"file:ledger-{secrets.token_hex(8)}?mode=memory&cache=shared"
            anchor = sqlite3.connect(name, uri=True, check_same_thread=False)
            url = f"sqlite+aiosqlite:///{name}&uri=true"
            kwargs["poolclass"] = NullPool
        elif url.startswith("sqlite"):
            file = Path(url.split(":///", 1)[1].split("?", 1)[0])
            file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        if url.startswith("sqlite") and not memory:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cls(url=url, engine=engine, anchor=anchor, file=file, gate=Gate() if memory else None)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (reports, exports, the audit list): never writes."""
        if self.gate is None:
            async with self.engine.connect() as conn:
                yield conn
            return
        async with self.gate.shared(), self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that commits on leaving (the writer, debriefs, retention)."""
        if self.gate is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self.gate.exclusive(), self.engine.begin() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def pending(self) -> list[str]:
        """Migrations not yet applied, oldest first."""
        try:
            async with self.engine.connect() as conn:
                current = await conn.run_sync(migrate.current)
        except (SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"cannot open the ledger at {redact(self.url)}: {_why(exc)}") from exc
        return migrate.ahead(current)

    async def upgrade(self) -> list[str]:
        """Apply every pending migration, taking turns with any other process doing the same
        (a file ledger from before its first connection: migrate.file_lock says why); the
        revisions this call applied (none when another process applied them first)."""
        try:
            async with migrate.file_lock(self.file):
                if not await self.pending():
                    return []
                return await migrate.upgrade(self.engine)
        except (SQLAlchemyError, OSError) as exc:
            raise LedgerError(f"cannot migrate the ledger at {redact(self.url)}: {_why(exc)}") from exc

    async def close(self) -> None:
        await self.engine.dispose()
        if self.anchor is not None:
            self.anchor.close()
            self.anchor = None


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]


def upsert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT that can say ON CONFLICT (both SQLite and PostgreSQL can)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def on_conflict_nothing(stmt: Insert, keys: Sequence[str]) -> Insert:
    return stmt.on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[attr-defined,no-any-return]
