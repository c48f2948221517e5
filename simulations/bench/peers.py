"""The peers of the timer benchmark (simulations/bench/timers.py): Celery countdown tasks and
APScheduler, each on its own redis-server, each timer's body only recording when it ran."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis as syncredis

from simulations.bench._procs import redis_server, summary

CELERY_RESULTS = "bench:celery:fired"


def result_of(name: str, n: int, due: float, fired: list[float], **extra: Any) -> dict[str, Any]:
    late = [max(0.0, f - due) for f in fired]
    last = max(fired) if fired else due
    return {
        "system": name,
        "timers": n,
        "fired": len(fired),
        "lateness_s": summary(late),
        "fired_per_s": len(fired) / (last - due) if fired and last > due else float("nan"),
        **extra,
    }


def celery_available() -> bool:
    try:
        import celery  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def celery(n: int, workers: int = 2) -> dict[str, Any]:
    from celery import Celery  # type: ignore[import-untyped,import-not-found,unused-ignore]

    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-celery-") as tmp:
        env = {**os.environ, "BENCH_REDIS_URL": rs.url}
        log = Path(tmp) / "celery.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(  # noqa: S603 - our own worker, from this venv
                [
                    *(sys.executable, "-m", "celery", "-A", "simulations.bench._celery_app", "worker"),
                    *("--pool", "prefork", "--concurrency", str(workers), "--loglevel", "WARNING"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client: Any = syncredis.Redis.from_url(rs.url, decode_responses=True)
        app: Any = Celery("bench-producer", broker=rs.url)
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
        try:
            # Ready when a task sent now has run.
            app.send_task("bench.record", args=[-1, time.time()])
            deadline = time.monotonic() + 60
            while client.llen(CELERY_RESULTS) < 1:
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery worker did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
            later = datetime.now(UTC) + timedelta(hours=1)
            began = time.perf_counter()
            for _ in range(200):
                app.send_task("bench.record", args=[-2, 0.0], eta=later)
            per_task = (time.perf_counter() - began) / 200
            due = time.time() + 1.5 * per_task * n + 3
            eta = datetime.fromtimestamp(due, UTC)
            for i in range(n):
                app.send_task("bench.record", args=[i, due], eta=eta)
            sent_before_due_s = due - time.time()
            deadline = time.monotonic() + max(0.0, due - time.time()) + 60 + n / 50
            while client.llen(CELERY_RESULTS) < n + 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            rows = [line.split() for line in client.lrange(CELERY_RESULTS, 0, -1)]
        finally:
            app.close()
            client.close()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
    fired = [float(r[2]) for r in rows if int(r[0]) >= 0]
    return result_of(
        f"Celery countdown tasks ({workers} prefork processes)",
        n,
        due,
        fired,
        sent_before_due_s=sent_before_due_s,
    )


def apscheduler(n: int, grace: str) -> dict[str, Any]:
    with redis_server() as rs:
        proc = subprocess.run(  # noqa: S603 - our own script, from this venv
            [sys.executable, "-m", "simulations.bench._apsched", rs.url, str(n), grace, "2"],
            capture_output=True,
            text=True,
            timeout=120 + n / 20,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"APScheduler run failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    label = "no limit" if grace == "none" else f"{grace} s"
    return result_of(
        f"APScheduler 3 RedisJobStore, misfire_grace_time {label}",
        n,
        out["due"],
        out["fired"],
        dropped=out["missed"],
        errors=out["error"],
        lost=n - out["missed"] - out["executed"],
        added_s=out["added_s"],
    )
