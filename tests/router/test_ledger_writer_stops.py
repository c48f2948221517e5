"""A real `safetynet ledger write` process stopped by a signal, as `docker compose stop`, a pod
deletion or systemd stop it: it exits 0 and lets go of the writer's lock, so the next writer
takes over at once rather than after the lock's 15 s; and it logs as `serve` does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from router.keys import Keys
from router.ledger.writer import LOCK_TTL_S
from router.store import RedisStore
from router.store.connect import connect
from simulations.bench._procs import ledger_writer, serve
from tests.redis_server import RedisServer
from tests.router.processes import FAST_PROTOCOL, eventually

pytestmark = pytest.mark.slow
PHONE = "+15558675309"


async def _lock_taken(redis_client: aioredis.Redis) -> Any:
    return await eventually(lambda: redis_client.get(Keys("default").ledger_lock), what="the writer's lock")


async def _stop(proc: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    # Generous: the point is that it exits by itself (an ignored signal would leave it running).
    return await asyncio.to_thread(proc.wait, 60)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_stops_the_writer_and_lets_go_of_its_lock(
    sig: signal.Signals, redis_srv: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    with ledger_writer(redis_srv.url, tmp_path) as proc:
        await _lock_taken(redis_client)
        code = await _stop(proc, sig)
    assert code == 0, (tmp_path / "ledger-writer.log").read_text()[-2000:]
    # Free now, not in LOCK_TTL_S: the next writer takes it on its first try.
    assert await redis_client.get(Keys("default").ledger_lock) is None
    store = RedisStore(connect(redis_srv.url), "default")
    try:
        assert await store.acquire_leader("the-next-writer", LOCK_TTL_S, "ledger")
    finally:
        await store.close()


def _filed(db: Path) -> bool:
    """The ledger beside the writer's log holds a filed cursor."""
    found = db.with_name("ledger.db")
    if not found.exists():
        return False
    with contextlib.closing(sqlite3.connect(found)) as conn:
        return bool(conn.execute("SELECT count(*) FROM cursor").fetchone()[0])


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


async def test_the_writer_logs_json_lines_at_the_configured_level_and_no_personal_data(
    redis_srv: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "ledger-writer.log"
    async with serve(redis_srv.url, FAST_PROTOCOL, tmp_path, {"SAFETYNET_LEDGER_WRITER": "process"}) as inst:
        for _ in range(2):
            await inst.ok("POST", "/v1/contacts", {"channel": "sms", "from": PHONE})
        with ledger_writer(redis_srv.url, tmp_path, {"SAFETYNET_LOG_LEVEL": "debug"}) as chatty:
            await _lock_taken(redis_client)
            await eventually(lambda: asyncio.to_thread(_filed, log), what="the writer filing the stream")
            assert await _stop(chatty) == 0
        text = log.read_text()
        entries = _lines(log)  # every line one JSON object: the format `serve` writes
        with ledger_writer(redis_srv.url, tmp_path, {"SAFETYNET_LOG_LEVEL": "warning"}) as quiet:
            await _lock_taken(redis_client)
            assert await _stop(quiet) == 0
        assert _lines(log) == []  # nothing at warning or above: the level setting is heard
    assert all("event" in e and "level" in e and "timestamp" in e for e in entries)
    started = [e for e in entries if e["event"] == "ledger_writer_started"]
    stopped = [e for e in entries if e["event"] == "ledger_writer_stopped"]
    assert len(started) == 1 and started[0]["level"] == "info" and started[0]["dialect"] == "sqlite"
    assert len(stopped) == 1 and stopped[0]["owner"] == started[0]["owner"] and stopped[0]["filed"] > 0
    # It filed the contacts' events at debug level, and the number they came from is nowhere;
    # nor are the rows it filed (aiosqlite's debug lines quote every statement's parameters).
    assert PHONE not in text and "8675309" not in text
    assert not [e for e in entries if e.get("logger", "").startswith("aiosqlite")]
    assert "INSERT INTO" not in text
