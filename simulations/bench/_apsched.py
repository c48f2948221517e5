"""The APScheduler side of the timer benchmark, run as its own process:

    python -m simulations.bench._apsched REDIS_URL N GRACE_S MARGIN_S

A BackgroundScheduler (3.x) with its Redis job store and the default thread pool (10 workers),
started paused; N date jobs all due at one instant, `misfire_grace_time` = GRACE_S ("none" for no
limit), `coalesce` off; then resumed. The instant is decided here: adding 200 jobs to a scratch
store measures how long adding N takes, and the jobs fall due that long (x1.5) + MARGIN_S from now.
Prints one JSON line: {due, added_s, fired: [epoch seconds], missed, wall_s}.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.redis import RedisJobStore
from apscheduler.schedulers.background import BackgroundScheduler

FIRED: list[float] = []
_lock = threading.Lock()


def record(i: int, due: float) -> None:
    with _lock:
        FIRED.append(time.time())


def main(argv: list[str]) -> int:
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)  # one "missed" line per dropped job
    url, n, grace_arg, margin = argv[0], int(argv[1]), argv[2], float(argv[3])
    grace = None if grace_arg == "none" else float(grace_arg)
    parsed = urlparse(url)

    def store(name: str) -> RedisJobStore:
        return RedisJobStore(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int((parsed.path or "/0").lstrip("/") or 0),
            jobs_key=f"bench:aps:{name}:jobs",
            run_times_key=f"bench:aps:{name}:run_times",
        )

    scheduler: Any = BackgroundScheduler(
        jobstores={"default": store("jobs"), "scratch": store("scratch")},
        executors={"default": ThreadPoolExecutor(10)},
        job_defaults={"misfire_grace_time": grace, "coalesce": False, "max_instances": 1},
        timezone=UTC,
    )
    counts = {"missed": 0, "executed": 0, "error": 0}
    done = threading.Event()

    def listen(event: Any) -> None:
        key = {EVENT_JOB_MISSED: "missed", EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error"}
        with _lock:
            counts[key[event.code]] += 1
            if sum(counts.values()) >= n:
                done.set()

    scheduler.add_listener(listen, EVENT_JOB_MISSED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    later = datetime.fromtimestamp(time.time() + 3600, UTC)
    began = time.perf_counter()
    for i in range(200):
        scheduler.add_job(record, "date", run_date=later, args=[i, 0.0], id=f"s-{i}", jobstore="scratch")
    per_job = (time.perf_counter() - began) / 200
    scheduler.remove_all_jobs(jobstore="scratch")
    started = time.time()
    due = started + 1.5 * per_job * n + margin
    run_date = datetime.fromtimestamp(due, UTC)
    for i in range(n):
        scheduler.add_job(record, "date", run_date=run_date, args=[i, due], id=f"esc-{i}")
    added_s = time.time() - started
    scheduler.resume()
    # Bounded: everything has run or was dropped, or a generous deadline passed.
    done.wait(timeout=max(0.0, due - time.time()) + 60 + n / 100)
    wall_s = time.time() - started
    scheduler.shutdown(wait=False)
    with _lock:
        out = {"due": due, "added_s": added_s, "fired": list(FIRED), **counts, "wall_s": wall_s}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
