"""The Celery side of the timer benchmark: one task that records when it ran.

Started by `simulations.bench.timers` as `celery -A simulations.bench._celery_app worker`, with the
broker URL in BENCH_REDIS_URL. Celery is not a dependency of SafetyNet (the `bench` extra).
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery  # type: ignore[import-untyped,import-not-found,unused-ignore]

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = "bench:celery:fired"

app: Any = Celery("bench", broker=URL)
app.conf.update(
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    # ETA tasks sit unacknowledged in the worker until due; past the visibility timeout the broker
    # hands them out again (Celery's documented caveat), so it is set well past the run.
    broker_transport_options={"visibility_timeout": 3600},
)
_client: Any = redis.Redis.from_url(URL)


@app.task(name="bench.record")  # type: ignore[misc,untyped-decorator,unused-ignore]
def record(i: int, due: float) -> None:
    _client.rpush(RESULTS, f"{i} {due!r} {time.time()!r}")
