"""Real `safetynet serve` processes for crash and concurrency tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.redis_server import free_port

ADMIN = "proc-admin-token"
FAST_PROTOCOL = """
name: fast
response_target: 8s
offer_timeout: 2s
escalation:
  - after: 3s
    notify: [backup]
    via: [console]
breach_notify: [all_on_call]
"""


@dataclass
class Instance:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    session: aiohttp.ClientSession = field(init=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=body, headers={"Authorization": f"Bearer {ADMIN}"}
        ) as resp:
            return resp.status, await resp.json(content_type=None)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


async def start_instance(redis_url: str, tmp: Path, name: str, lease_s: float = 1.0) -> Instance:
    protocol = tmp / "fast.yaml"
    protocol.write_text(FAST_PROTOCOL)
    port = free_port()
    log = tmp / f"{name}.log"
    env = {
        **os.environ,
        "SAFETYNET_REDIS_URL": redis_url,
        "SAFETYNET_ADMIN_TOKEN": ADMIN,
        "SAFETYNET_PROTOCOL": str(protocol),
        "SAFETYNET_TIMER_LEASE_S": str(lease_s),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220 - starting a server is quick; it runs apart
            [sys.executable, "-m", "router.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    inst = Instance(port=port, proc=proc, log=log)
    inst.session = aiohttp.ClientSession()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"instance {name} exited: {log.read_text()[-2000:]}")
        try:
            async with inst.session.get(inst.base + "/healthz") as resp:
                if resp.status == 200:
                    return inst
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"instance {name} did not start: {log.read_text()[-2000:]}")


async def stop_instance(inst: Instance) -> None:
    await inst.session.close()
    if inst.proc.poll() is None:
        inst.proc.terminate()
        try:
            inst.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            inst.proc.kill()
            inst.proc.wait()


async def eventually(check: Any, within: float = 30.0, what: str = "condition") -> Any:
    """Poll an async check until it returns a truthy value (bounded; never asserts on speed)."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {within}s (last: {last!r})")
