"""A running `serve` seldom stops for the collector: its young generation is collected every
200,000 allocations net of frees (router/server.py GC_THRESHOLDS), not every 20,000, and each
such collection walks the 100,000-155,000 objects of the engine's caches whatever the threshold. Read
from the serve's own /metrics (python_gc_collections_total), on a real Redis."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from simulations.bench._procs import Serve, protocol_yaml, serve
from tests.redis_server import RedisServer

CONTACTS = 2_000  # enough to fill Known's 2,000 contacts and much of the codec's records
AT_ONCE = 16


async def _collections(inst: Serve) -> dict[str, float]:
    async with inst.session.get(inst.base + "/metrics") as resp:
        text = await resp.text()
    found = re.findall(r'^python_gc_collections_total\{generation="(\d)"\} (\S+)$', text, re.M)
    assert len(found) == 3, text[:500]
    return {gen: float(n) for gen, n in found}


async def test_taking_in_two_thousand_contacts_stops_for_the_collector_at_most_once(
    redis_srv: RedisServer, tmp_path: Path
) -> None:
    text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after="30m")
    async with serve(redis_srv.url, text, tmp_path) as inst:
        before = await _collections(inst)
        sent = 0

        async def post_some() -> None:
            nonlocal sent
            while sent < CONTACTS:
                i = sent
                sent += 1
                status, answer = await inst.lean.post(
                    "/v1/contacts", {"channel": "sms", "from": f"+1555{i:07d}", "body": "hello"}
                )
                assert status == 201, answer

        await asyncio.gather(*(post_some() for _ in range(AT_ONCE)))
        after = await _collections(inst)
    young, middle, full = (after[g] - before[g] for g in "012")
    # At 20,000 the same intake ran 3 young collections (and one each 0.6-2 s under steady load).
    assert young <= 1, (young, middle, full)
    assert middle == 0 and full == 0, (young, middle, full)
