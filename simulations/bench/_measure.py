"""What an operation costs: Python CPU of the serve process(es), Redis commands and round trips.

- CPU: utime + stime of each process from /proc/PID/stat, before and after a phase (the
  process's own CPU, however loaded the machine is; wall-clock rates are not).
- Commands: `INFO commandstats` deltas on the system's own redis-server (calls per command) and
  `INFO stats` total_commands_processed. Redis counts commands, not round trips: EVALSHA, HMGET
  and each command inside a pipeline or MULTI/EXEC count one each. The bench's own commands on
  that server (INFO, and any polling it declares) are subtracted.
- Round trips: counted by the serve process itself (simulations/bench/_counted.py): one per
  request written to Redis, so a pipeline or MULTI/EXEC block is one.
Background loops of a running serve (timer wake-ups, the shared feed, outbox, ledger writer)
are included: they are what an operation costs a running instance.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as syncredis

_TICK = os.sysconf("SC_CLK_TCK")


@contextmanager
def collector_paused() -> Iterator[None]:
    """The bench process's own garbage collector collected, then paused while it drives a load.
    That process holds what every earlier phase left (`make bench` runs them all in one): its
    full collections took 100-250 ms, every few seconds, and a load generator held that long
    sends late, so its requests' wait was counted as the server's (`make bench`'s intake at
    500/s: p99 249 ms, with 242, 98 and 127 ms collections in the generator during it). What
    reference counting cannot free waits until the load is over."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def earlier_phases_set_aside() -> Iterator[None]:
    """What the bench process still holds from earlier phases, collected and moved out of the
    collector's sight (`gc.freeze`) while a phase is timed in this process (the per-operation
    costs): a full collection rescanned it all, time a fresh process would not spend (one such
    phase read 939 µs per escalation where the next two read 107 and 116). Handed back after:
    the simulator's runner pauses the collector for a run only when nothing is frozen."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (0.0 if it has gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # the name may hold spaces; fields after it are fixed
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15)


def redis_counts(url: str) -> dict[str, int]:
    """Calls per command (`cmdstat_evalsha` -> `evalsha`) and `_total` (total_commands_processed)."""
    client: Any = syncredis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
        total = int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()
    counts = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
    counts["_total"] = total
    return counts


async def round_trips(count_file: Path, pid: int, timeout_s: float = 5.0) -> int | None:
    """Ask a counted serve (SIGUSR1) for its round trips so far; None if it does not answer."""
    seq = _read(count_file).get("seq", 0)
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        return None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = _read(count_file)
        if now.get("seq", 0) > seq:
            return int(now["round_trips"])
        await asyncio.sleep(0.01)
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


@dataclass
class Usage:
    """One phase's cost; `per_op` divides it by the operations the phase did."""

    cpu_s: float
    commands: dict[str, int]  # per command, the bench's own removed
    total_commands: int
    round_trips: int | None
    redis_cpu_s: float = float("nan")  # the redis-server process's CPU, when its pid is known
    wall_s: float = float("nan")

    def per_op(self, ops: int) -> dict[str, Any]:
        if ops <= 0:
            return {}
        top = sorted(self.commands.items(), key=lambda kv: -kv[1])[:6]
        return {
            "ops": ops,
            "cpu_us": self.cpu_s / ops * 1e6,
            "redis_cpu_us": self.redis_cpu_s / ops * 1e6,
            # share of one core the serves got over the phase: well under the number of serves
            # on a machine others load too
            "cores_used": self.cpu_s / self.wall_s if self.wall_s == self.wall_s and self.wall_s else None,
            "commands": self.total_commands / ops,
            "round_trips": None if self.round_trips is None else self.round_trips / ops,
            "top_commands": {k: v / ops for k, v in top},
        }


@dataclass
class Meter:
    """Before/after snapshot of the serve processes and their redis-server."""

    redis_url: str
    serves: list[tuple[int, Path | None]]  # (pid, count file of a counted serve)
    redis_pid: int = 0
    _cpu: float = 0.0
    _redis_cpu: float = 0.0
    _wall: float = 0.0
    _redis: dict[str, int] = field(default_factory=dict)
    _trips: int | None = None

    async def start(self) -> None:
        self._wall = time.monotonic()
        self._redis_cpu = proc_cpu_s(self.redis_pid) if self.redis_pid else 0.0
        self._cpu = sum(proc_cpu_s(pid) for pid, _ in self.serves)
        self._trips = await self._round_trips()
        self._redis = redis_counts(self.redis_url)

    async def stop(self, bench_commands: dict[str, int] | None = None) -> Usage:
        after = redis_counts(self.redis_url)
        cpu = sum(proc_cpu_s(pid) for pid, _ in self.serves) - self._cpu
        redis_cpu = proc_cpu_s(self.redis_pid) - self._redis_cpu if self.redis_pid else float("nan")
        wall = time.monotonic() - self._wall
        trips = await self._round_trips()
        own = {"info": after.get("info", 0) - self._redis.get("info", 0), **(bench_commands or {})}
        delta = {
            k: v - self._redis.get(k, 0) - own.get(k, 0)
            for k, v in after.items()
            if k not in ("_total", "info")
        }
        delta = {k: v for k, v in delta.items() if v > 0}
        total = after["_total"] - self._redis["_total"] - sum(own.values())
        moved = None if trips is None or self._trips is None else trips - self._trips
        return Usage(cpu, delta, total, moved, redis_cpu_s=redis_cpu, wall_s=wall)

    async def _round_trips(self) -> int | None:
        total = 0
        for pid, path in self.serves:
            if path is None:
                return None
            n = await round_trips(path, pid)
            if n is None:
                return None
            total += n
        return total


def cost_line(label: str, cost: dict[str, Any]) -> str:
    """`label: 812 µs Python CPU (redis-server 90 µs; serves used 0.61 cores), 3.1 Redis commands,
    2.00 round trips per op over N ops (commands per op: evalsha 1.00, ...)`."""
    if not cost:
        return f"{label}: no operations"
    rt = cost["round_trips"]
    trips = "round trips not counted" if rt is None else f"{rt:.2f} round trips"
    top = ", ".join(f"{k} {v:.2f}" for k, v in cost["top_commands"].items())
    notes = []
    redis = cost.get("redis_cpu_us", float("nan"))
    if redis == redis:
        notes.append(f"redis-server {redis:,.0f} µs")
    if cost.get("cores_used") is not None:
        notes.append(f"serves used {cost['cores_used']:.2f} cores")
    where = f" ({'; '.join(notes)})" if notes else ""
    return (
        f"{label}: {cost['cpu_us']:,.0f} µs Python CPU{where}, {cost['commands']:.2f} Redis commands, "
        f"{trips} per op over {cost['ops']:,} ops (commands per op: {top})"
    )
