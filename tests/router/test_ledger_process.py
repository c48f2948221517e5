"""The ledger filed by a writer process of its own (`SAFETYNET_LEDGER_WRITER=process`): the
instances run no writer, `safetynet ledger write` files their stream, and the jobs' leader is
still one of the instances (the writer holds a lock of its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from router.keys import Keys
from router.service import Service, StartupError
from router.settings import Settings
from simulations.bench._procs import Serve, ledger_writer, serve
from tests.redis_server import RedisServer
from tests.router.processes import FAST_PROTOCOL, eventually


async def _report(inst: Serve) -> dict[str, Any]:
    now = datetime.now(UTC)
    window = f"from={(now - timedelta(hours=1)).isoformat()}&to={(now + timedelta(hours=1)).isoformat()}"
    return dict(await inst.ok("GET", "/v1/reports/compliance?" + window.replace("+", "%2B")))


async def test_a_writer_process_files_while_the_instances_lead_the_jobs(
    redis_srv: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    keys = Keys("default")
    async with serve(redis_srv.url, FAST_PROTOCOL, tmp_path, {"SAFETYNET_LEDGER_WRITER": "process"}) as inst:
        for i in range(3):
            await inst.ok("POST", "/v1/contacts", {"channel": "sms", "from": f"+1777{i:07d}"})
        # No writer anywhere yet: the instance files nothing itself, the report says how far.
        before = await _report(inst)
        assert before["filed_through"]["stream_id"] is None and before["filed_through"]["lag"] > 0
        assert await redis_client.get(keys.ledger_lock) is None
        with ledger_writer(redis_srv.url, tmp_path):

            async def filed() -> dict[str, Any] | None:
                report = await _report(inst)
                done = report["filed_through"]
                return report if done["stream_id"] is not None and done["lag"] == 0 else None

            report = await eventually(filed, what="the writer process filing the stream")
            assert report["contacts"] == 3
            jobs = await eventually(lambda: redis_client.get(keys.leader), what="a jobs leader")
            writer = await redis_client.get(keys.ledger_lock)
            assert writer is not None and jobs is not None and writer != jobs


async def test_process_mode_needs_a_shared_store(tmp_path: Path) -> None:
    settings = Settings(redis_url="memory://", ledger_writer="process", data_dir=str(tmp_path))
    with pytest.raises(StartupError, match="SAFETYNET_LEDGER_WRITER=process"):
        await Service.create(settings)
