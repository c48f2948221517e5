"""`safetynet serve --workers N`: N instances on one port (router/workers.py), real processes on
a real Redis. Contacts taken in by either are one hotline's; a worker killed is started again
and loses nothing; the supervisor stops them all; what N instances cannot share is refused."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from router.cli import main
from simulations.bench._procs import ADMIN, HOST, children, serve
from tests.redis_server import RedisServer
from tests.router.processes import FAST_PROTOCOL, eventually


async def _take_in(base: str, n: int, tag: str) -> list[str]:
    """POST n contacts, each on a connection of its own (the kernel spreads connections over
    the workers)."""
    ids = []
    for i in range(n):
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {ADMIN}"}) as session,
            session.post(f"{base}/v1/contacts", json={"channel": "sms", "from": f"+1{tag}{i:07d}"}) as resp,
        ):
            assert resp.status == 201, await resp.text()
            ids.append((await resp.json())["id"])
    return ids


async def test_workers_share_one_hotline_and_a_killed_one_comes_back(
    redis_srv: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    async with serve(redis_srv.url, FAST_PROTOCOL, tmp_path, workers=2) as inst:
        first = children(inst.proc.pid)
        assert len(first) == 2
        ids = await _take_in(inst.base, 10, "555")
        os.kill(first[0], signal.SIGKILL)

        async def replaced() -> list[int] | None:
            now = children(inst.proc.pid)
            return now if len(now) == 2 and first[0] not in now else None

        again = await eventually(replaced, what="the killed worker started again")
        assert first[1] in again
        await eventually(lambda: _ready(inst.base), what="the service answering")
        ids += await _take_in(inst.base, 10, "666")
        for cid in ids:  # every contact, whichever worker took it in, is the hotline's
            status, body = await inst.call("GET", f"/v1/contacts/{cid}")
            assert status == 200 and body["id"] == cid
        # the supervisor stops them all, cleanly
        inst.proc.send_signal(signal.SIGTERM)
        assert inst.proc.wait(timeout=30) == 0
        assert all(_gone(pid) for pid in again)


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


async def _ready(base: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(f"{base}/readyz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


@pytest.mark.parametrize(
    ("env", "argv", "says"),
    [
        ({"SAFETYNET_REDIS_URL": "memory://"}, ["--workers", "2"], "needs Redis"),
        ({}, ["--workers", "0"], "--workers is 1 to 64"),
        ({}, ["--workers", "2", "--port", "0"], "needs a fixed --port"),
    ],
)
def test_what_workers_cannot_share_is_refused(
    env: dict[str, str],
    argv: list[str],
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    redis_srv: RedisServer,
) -> None:
    monkeypatch.setenv("SAFETYNET_REDIS_URL", redis_srv.url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["serve", "--host", HOST, *argv]) == 2
    assert says in capsys.readouterr().err
