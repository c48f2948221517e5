"""The writer's rows sent to SQLite as SQLite stores them, without SQLAlchemy's per-row work.

Filing a batch through `conn.execute(statement, rows)` builds, for every row, a dict of bind
parameters and runs each column type's bind processor through SQLAlchemy's generic machinery:
about a third of the writer's CPU (BENCHMARKS.md, nineteenth session). On SQLite the conversions
are few and fixed, so a statement is compiled once per shape of row (SQLAlchemy still writes the
SQL: the upserts' ON CONFLICT rules stay its own), and each row becomes a tuple in the
statement's order: an aware time as the fixed-width naive UTC text SQLAlchemy's SQLite DATETIME
writes, JSON as `json.dumps` writes it (the ledger's engine sets no serializer of its own), a
boolean as 1 or 0, the rest as the driver binds it. What lands is byte for byte what
SQLAlchemy's own binding stored (tests/ledger/test_sqlite_bind.py compares both, table by
table). Filing a simulated month's 126,270 events: 4.5-5.2 s of CPU before, 3.6-3.7 s after.
PostgreSQL keeps SQLAlchemy's binding (asyncpg's codecs, not measured here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import JSON, Boolean, Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

from router.ledger.schema import UtcDateTime

# Dialects whose rows are bound here (tests turn it off to compare with SQLAlchemy's binding).
DIALECTS = {"sqlite"}
_KEPT = 256

Convert = Callable[[Any], Any]


class Prepared(NamedTuple):
    sql: str
    values: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in the SQL's order
    converted: tuple[tuple[int, Convert], ...]  # the positions converted, and how


# Keyed by the statement itself: SQLAlchemy's statements compare and hash by identity, and the
# key holds it (the writer builds each once and keeps it, writer.py).
_PREPARED: dict[tuple[Any, tuple[str, ...]], Prepared] = {}


def utc_text(value: datetime | None) -> str | None:
    """UtcDateTime then SQLite's DATETIME, in one step: YYYY-MM-DD HH:MM:SS.ffffff in UTC."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("the ledger stores aware times only")
    if offset:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without its "+00:00"


def json_text(value: Any) -> str:
    """SQLAlchemy's JSON on SQLite: `json.dumps`, None included (stored as 'null', not NULL)."""
    return json.dumps(value)


def bool_int(value: Any) -> int | None:
    """SQLAlchemy's Boolean on SQLite (no native boolean): only None, True or False, as 1 or 0."""
    if value is None:
        return None
    if value is not True and value is not False:
        raise TypeError(f"not a boolean value: {value!r}")
    return int(value)


def _convert(kind: TypeEngine[Any]) -> Convert | None:
    if isinstance(kind, UtcDateTime):
        return utc_text
    if isinstance(kind, JSON):
        return json_text
    if isinstance(kind, Boolean):
        return bool_int
    return None  # strings and numbers: sqlite3 binds them as SQLAlchemy would


def _values(names: Sequence[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:  # itemgetter of one name gives the value, not a tuple of it
        only = names[0]
        return lambda row: (row[only],)
    return itemgetter(*names)


def applies(conn: AsyncConnection) -> bool:
    return conn.dialect.name in DIALECTS


def prepared(conn: AsyncConnection, statement: Any, table: Table, keys: tuple[str, ...]) -> Prepared:
    """`statement` compiled for rows with `keys`, once per statement and keys."""
    found = _PREPARED.get((statement, keys))
    if found is not None:
        return found
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(keys))
    names = compiled.positiontup
    if names is None or any(n not in keys for n in names):
        raise ValueError(f"not a plain INSERT of {keys!r} for {table.name}: {compiled.string}")
    converts = [_convert(table.c[n].type) for n in names]
    made = Prepared(
        compiled.string,
        _values(names),
        tuple((i, f) for i, f in enumerate(converts) if f is not None),
    )
    if len(_PREPARED) >= _KEPT:
        _PREPARED.clear()
    _PREPARED[(statement, keys)] = made
    return made


async def execute(conn: AsyncConnection, p: Prepared, rows: Sequence[dict[str, Any]]) -> None:
    """Every row through the driver's executemany, converted in the statement's order."""
    converted = p.converted
    params = []
    for row in rows:
        values = list(p.values(row))
        for i, convert in converted:
            values[i] = convert(values[i])
        params.append(tuple(values))  # the driver's executemany takes tuples
    await conn.exec_driver_sql(p.sql, params)
