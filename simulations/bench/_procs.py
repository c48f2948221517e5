"""Real processes for the benchmarks: a throwaway redis-server and `safetynet serve`, on loopback only.

Every process started here is stopped by the context manager that started it (terminate, then kill).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import redis.asyncio as aioredis

from router.keys import Keys
from simulations.bench._speed import reference_ms

ADMIN = "bench-admin-token"
BENCH_SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105 - a fixed key for local benchmark runs
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Redis:
    url: str
    port: int
    dir: Path
    pid: int = 0


@contextmanager
def redis_server() -> Iterator[Redis]:
    """A redis-server on a free loopback port, no persistence, in a temporary directory."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="sn-bench-redis-") as tmp:
        port = free_port()
        args = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        args += ["--dir", tmp, "--logfile", str(Path(tmp) / "redis.log")]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - redis-server from PATH
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection((HOST, port), timeout=0.2) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on port {port}") from None
                    time.sleep(0.05)
            yield Redis(url=f"redis://{HOST}:{port}/0", port=port, dir=Path(tmp), pid=proc.pid)
        finally:
            stop_process(proc)


def redis_version() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        return "not installed"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    return out.split("v=")[1].split()[0] if "v=" in out else out.strip()


def protocol_yaml(
    response_target: str, offer_timeout: str, escalate_after: str | None, name: str = "bench"
) -> str:
    lines = [f"name: {name}", f"response_target: {response_target}", f"offer_timeout: {offer_timeout}"]
    if escalate_after is not None:
        lines += ["escalation:", f"  - after: {escalate_after}", "    notify: [backup]", "    via: [console]"]
    return "\n".join(lines) + "\n"


class _Exchange(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time: enough of the protocol for the
    bench's own POSTs (the server answers with Content-Length, never chunked)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.open = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        stop = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : stop if stop > 0 else len(head)]) if at >= 0 else 0
        if len(self.buf) < end + 4 + length:
            return
        body = bytes(self.buf[end + 4 : end + 4 + length])
        del self.buf[: end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((int(head[9:12]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))


class LeanClient:
    """The load generators' HTTP client: raw keep-alive connections, the request bytes built by
    hand. The generator shares the 2 cores with the server it measures; aiohttp's client spent
    several hundred µs of CPU per request there, this a fraction of it."""

    def __init__(self, port: int, token: str = ADMIN, limit: int = 256) -> None:
        self.port = port
        self.head = (
            f"Host: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.idle: list[_Exchange] = []
        # At most `limit` connections, as aiohttp's connector had: requests beyond wait their turn.
        self.slots = asyncio.Semaphore(limit)

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        """(status, parsed JSON answer)."""
        data = json.dumps(body).encode()
        request = b"POST " + path.encode() + b" HTTP/1.1\r\n" + self.head + str(len(data)).encode()
        async with self.slots:
            conn = self.idle.pop() if self.idle else None
            if conn is None or not conn.open:
                _, conn = await asyncio.get_running_loop().create_connection(_Exchange, HOST, self.port)
            assert conn.transport is not None
            answer: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
            conn.waiter = answer
            conn.transport.write(request + b"\r\n\r\n" + data)
            try:
                status, raw = await answer
            except BaseException:
                conn.transport.close()
                raise
            self.idle.append(conn)
        return status, json.loads(raw)

    def close(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()
        self.idle.clear()


@dataclass
class Serve:
    """One `safetynet serve` process and an HTTP session to it."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    session: aiohttp.ClientSession = field(init=False)
    lean: LeanClient = field(init=False)
    count_file: Path | None = None  # round trips, when started `counted` (simulations/bench/_counted.py)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=body, headers={"Authorization": f"Bearer {ADMIN}"}
        ) as resp:
            return resp.status, await resp.json(content_type=None)

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = await self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {answer}")
        return answer


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc): the instances of `serve --workers N`."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def serve_env(redis_url: str, protocol_file: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "SAFETYNET_REDIS_URL": redis_url,
        "SAFETYNET_ADMIN_TOKEN": ADMIN,
        # `serve` on Redis refuses to start without a secret key of its own.
        "SAFETYNET_SECRET_KEY": BENCH_SECRET_KEY,
        "SAFETYNET_PROTOCOL": str(protocol_file),
        "SAFETYNET_LOG_LEVEL": "warning",
        **(extra or {}),
    }


@asynccontextmanager
async def serve(
    redis_url: str,
    protocol_text: str,
    workdir: Path,
    extra_env: Mapping[str, str] | None = None,
    counted: bool = False,
    workers: int = 1,
) -> AsyncIterator[Serve]:
    """`safetynet serve` (as `python -m router.cli serve`) on a free port; stopped on exit.
    The crash tests use it too (`extra_env` sets, say, a short timer lease). `counted`: its Redis
    round trips are counted in the process (simulations/bench/_counted.py; not with `workers`
    above 1, whose instances are the supervisor's children: `Serve.workers` lists their pids)."""
    protocol = workdir / "protocol.yaml"
    protocol.write_text(protocol_text)
    port = free_port()
    log = workdir / f"serve-{port}.log"
    count_file = workdir / f"serve-{port}.trips.json" if counted else None
    module = (
        ["simulations.bench._counted", str(count_file)] if count_file and workers == 1 else ["router.cli"]
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: ASYNC220, S603 - our own server, started once
            [
                sys.executable,
                "-m",
                *module,
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            # the ledger (a SQLite file) lives in the work dir, shared by the instances started there
            env=serve_env(redis_url, protocol, {"SAFETYNET_DATA_DIR": str(workdir), **(extra_env or {})}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    inst = Serve(port=port, proc=proc, log=log, count_file=count_file if workers == 1 else None)
    inst.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    inst.lean = LeanClient(port)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"safetynet serve exited: {log.read_text()[-2000:]}")
            try:
                async with inst.session.get(inst.base + "/readyz") as resp:
                    if resp.status == 200 and len(children(proc.pid)) >= (workers if workers > 1 else 0):
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"safetynet serve did not start: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.1)
        yield inst
    finally:
        await inst.session.close()
        inst.lean.close()
        stop_process(proc)


@contextmanager
def ledger_writer(
    redis_url: str, workdir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`safetynet ledger write` in a process of its own, filing the ledger of the instances
    started in `workdir` (their SQLite file) from their Redis; stopped on exit."""
    log = workdir / "ledger-writer.log"
    with log.open("wb") as out:
        env = {"SAFETYNET_DATA_DIR": str(workdir), **(extra_env or {})}
        proc = subprocess.Popen(
            [sys.executable, "-m", "router.cli", "ledger", "write"],
            env=serve_env(redis_url, workdir / "protocol.yaml", env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        stop_process(proc)


async def read_events(redis_url: str, hotline: str = "default") -> list[dict[str, Any]]:
    """Every event of the hotline's stream, in order, read in pages; `_written_ms` is its stream time."""
    client: Any = aioredis.Redis.from_url(redis_url, decode_responses=True)
    out: list[dict[str, Any]] = []
    start = "-"
    try:
        for _ in range(100_000):
            rows = await client.xrange(Keys(hotline).events, min=start, max="+", count=5000)
            if not rows:
                break
            for sid, fields in rows:
                event = json.loads(fields["e"])
                event["_written_ms"] = int(sid.split("-")[0])  # Redis's clock when it was appended
                out.append(event)
            start = "(" + rows[-1][0]
    finally:
        await client.aclose()
    return out


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean, in the values' unit."""
    if not values:
        nan = float("nan")
        return {"n": 0, "p50": nan, "p90": nan, "p99": nan, "max": nan, "mean": nan}
    return {
        "n": len(values),
        "p50": pct(values, 50),
        "p90": pct(values, 90),
        "p99": pct(values, 99),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, redis-server {redis_version()}, "
        f"load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"reference workload {reference_ms():.1f} ms CPU (simulations/bench/_speed.py)"
    )
