"""Start a throwaway redis-server on a free port (or use REDIS_URL), for the test session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    url: str
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None
    appendonly: bool = False

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is not installed: apt-get install redis-server, or set REDIS_URL"
            )
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(self.dir),
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--appendfsync",
            "always",
            "--logfile",
            str(self.dir / "redis.log"),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def redis_server(appendonly: bool = False) -> Iterator[RedisServer]:
    given = os.environ.get("REDIS_URL")
    if given and not appendonly:
        yield RedisServer(url=given, port=0, dir=Path(tempfile.gettempdir()))
        return
    with tempfile.TemporaryDirectory(prefix="sn-redis-") as tmp:
        port = free_port()
        server = RedisServer(
            url=f"redis://127.0.0.1:{port}/0", port=port, dir=Path(tmp), appendonly=appendonly
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


def wait_until(check: Callable[[], object], what: str, within: float = 30.0) -> None:
    """Poll a check of a server being started (bounded; never asserts on speed)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        except Exception as exc:
            if type(exc).__module__.split(".")[0] != "redis":
                raise
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {within}s")
