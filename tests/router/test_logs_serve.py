"""A real `safetynet serve` on Redis, fed malformed requests that carry a phone number and a
planted secret: every line it writes is JSON, neither string appears, and the access log names
route templates (a feed URL's secret never)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from simulations.bench._procs import HOST, serve
from tests.redis_server import RedisServer
from tests.router.processes import FAST_PROTOCOL

pytestmark = pytest.mark.slow
PHONE = "+15558675309"
SECRET = "PLANTEDsecret7Qx9"

MALFORMED = [
    # A bad header name, the number and the secret in the request line.
    f"GET /feeds/{SECRET}.ics?to={PHONE} HTTP/1.1\r\nHost: x\r\nX-Bad\x01: {PHONE}\r\n\r\n".encode(),
    # A NUL in the path.
    f"GET /v1/queue\x00{PHONE}/{SECRET} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    # A Content-Length that is not a number, the secret as a bearer token.
    f"POST /v1/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: {PHONE}\r\n"
    f"Authorization: Bearer {SECRET}\r\n\r\n".encode(),
    # A broken chunked body.
    f"POST /channels/email/inbound HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    f"zz\r\n{PHONE}{SECRET}\r\n".encode(),
    # Well-formed, but the feed secret is the path itself and the body is not JSON.
    f"GET /feeds/{SECRET}.ics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
    f"POST /v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\nContent-Length: 20\r\n"
    f'Connection: close\r\n\r\n{{"from": "{PHONE}"'.encode(),
]


async def _send(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 10)
    finally:
        writer.close()


async def test_every_line_is_json_and_redacted(redis_srv: RedisServer, tmp_path: Path) -> None:
    extra = {"SAFETYNET_LOG_LEVEL": "info", "SAFETYNET_SECRET_KEY": "log-test-key-" + "k" * 20}
    # Its own key: contacts other tests left in this Redis (under theirs) must not be in the way.
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    async with serve(redis_srv.url, FAST_PROTOCOL, tmp_path, extra) as inst:
        answers = [await _send(inst.port, raw) for raw in MALFORMED]
        assert all(a.startswith(b"HTTP/1.") for a in answers)
        assert [a.split(b" ", 2)[1][:1] for a in answers] == [b"4"] * len(MALFORMED)
        status, _ = await inst.call("GET", "/v1/queue")
        assert status == 200
        log = inst.log
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) >= 8
    entries = [json.loads(line) for line in lines]  # every line: one JSON object
    assert all(isinstance(e, dict) and "event" in e and "level" in e for e in entries)
    assert PHONE not in text and "8675309" not in text and SECRET not in text
    access = [e for e in entries if e["event"] == "access"]
    routes = {(e["route"], e["status"]) for e in access}
    assert ("/feeds/{secret}.ics", 404) in routes and ("/v1/queue", 200) in routes
    assert all(isinstance(e["duration_ms"], float | int) for e in access)
    aiohttp_lines = [e for e in entries if e.get("logger", "").startswith("aiohttp")]
    assert aiohttp_lines, "the malformed requests were logged by aiohttp, as JSON"
    assert not [e for e in entries if e.get("logger", "").startswith("apscheduler")]
