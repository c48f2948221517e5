"""`safetynet serve --workers N`: N instances of the service on one port, a process each.

One `serve` is one event loop on one core (~850-1,300 µs of CPU per contact taken in and
offered at 500 a second on the 2-core machine, ~630-720 µs at saturation). Instances on one
Redis already share everything safely (each transition is one guarded script, timers are
leased, the jobs and the ledger writer elect a holder by lock), so using more cores is
running more instances: this supervisor starts N `serve` children bound to the same port
(SO_REUSEPORT: the kernel spreads connections over them), restarts one that dies, and stops
them all on SIGTERM or SIGINT. It runs the ledger's pending migrations once before any child
starts, so children never race to migrate.

The store must be Redis: `memory://` would give each child a hotline of its own.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from types import FrameType

import structlog

from router.service import StartupError, open_ledger, require_own_key
from router.settings import Settings

log = structlog.get_logger("router.workers")

# A child that exits is started again after this long; one that exits with the start-up error
# code (2: bad settings, port taken, Redis unreachable at start) stops them all instead, as a
# single `serve` would exit.
RESTART_AFTER_S = 1.0
STARTUP_ERROR = 2
# On stop, children get this long to finish their batch and close, then are killed.
STOP_GRACE_S = 20.0
POLL_S = 0.2
MAX_WORKERS = 64


def check(settings: Settings, workers: int, port: int) -> None:
    """Refuse what N children cannot share, before starting any."""
    if not 1 <= workers <= MAX_WORKERS:
        raise StartupError(f"--workers is 1 to {MAX_WORKERS}, not {workers}")
    if workers == 1:
        return
    if settings.redis_url.startswith("memory://"):
        raise StartupError(
            "--workers above 1 needs Redis (SAFETYNET_REDIS_URL): with memory:// each worker would "
            "keep a hotline of its own"
        )
    if port == 0:
        raise StartupError("--workers above 1 needs a fixed --port (the workers share it)")


async def migrate(settings: Settings) -> None:
    """The ledger's pending migrations, once, before any child opens it."""
    ledger = await open_ledger(settings)
    await ledger.close()


def supervise(settings: Settings, child: list[str], workers: int) -> int:
    """Run `workers` copies of the `child` command until SIGTERM/SIGINT; the exit code."""
    require_own_key(settings)
    asyncio.run(migrate(settings))
    stopping = [False]

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping[0] = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    procs = [_start(child) for _ in range(workers)]
    log.info("workers_started", workers=workers, pids=[p.pid for p in procs])
    code = 0
    restart_at: dict[int, float] = {}
    try:
        while not stopping[0]:
            for i, proc in enumerate(procs):
                exited = proc.poll()
                if exited is None:
                    continue
                if exited == STARTUP_ERROR:
                    log.error("worker_could_not_start", pid=proc.pid)
                    code = STARTUP_ERROR
                    stopping[0] = True
                    break
                due = restart_at.setdefault(i, time.monotonic() + RESTART_AFTER_S)
                if time.monotonic() >= due:
                    del restart_at[i]
                    procs[i] = _start(child)
                    log.warning("worker_restarted", exited=exited, was=proc.pid, pid=procs[i].pid)
            time.sleep(POLL_S)
    finally:
        _stop_all(procs)
    return code


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command)  # noqa: S603 - this very program, with the caller's arguments


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def child_command(settings_file: str | None, host: str, port: int) -> list[str]:
    """One worker: this program's `serve`, on the shared port."""
    command = [sys.executable, "-m", "router.cli"]
    if settings_file:
        command += ["--settings", settings_file]
    return [*command, "serve", "--host", host, "--port", str(port), "--reuse-port"]
