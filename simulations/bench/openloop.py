"""Intake at fixed rates: an open-loop load generator posts contacts whether or not the server keeps up.

    python -m simulations.bench.openloop [--rates 500,2000] [--duration 10]

Never run by the test suite. Each rate on a fresh redis-server and one `safetynet serve` (set up
as simulations/bench/intake.py does: responders on call with room for every contact).

A closed loop (c workers, each waiting for its answer) slows down with the server, so it cannot
show a queue growing; an open loop sends request i at t0 + i/rate regardless, the way people
write in. Latency is counted from the scheduled send time (no coordinated omission), and the
generator reports how far behind its own schedule it fell (it shares the 2 cores with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simulations.bench._measure import cost_line
from simulations.bench._procs import Serve, machine, redis_server
from simulations.bench.intake import CAPACITY, CHANNELS, SERVE_WORKERS, WRITER, Load, Sent, measure_level

# After the last scheduled send, answers still outstanding are waited for this long, then dropped.
DRAIN_S = 10.0
# The generator's HTTP client: "lean" (raw keep-alive connections, _procs.LeanClient) or "aiohttp"
# (the client used before; several times the CPU per request, taken from the server's cores).
CLIENT = ["lean"]


async def at_rate(inst: Serve, rate: float, duration_s: float, tag: str) -> tuple[Load, dict[str, Any]]:
    """POST /v1/contacts at `rate` per second for `duration_s`. Returns the load (sent_at = the
    scheduled time) and how the generator itself did: its worst lag behind schedule and the
    requests still unanswered DRAIN_S after the last send."""
    n = round(rate * duration_s)
    load = Load()
    lag = 0.0

    async def post(i: int, scheduled_wall: float, scheduled_mono: float) -> None:
        body = {"channel": CHANNELS[i % len(CHANNELS)], "from": f"+1444{tag}{i:07d}", "body": "hello"}
        try:
            if CLIENT[0] == "aiohttp":
                status, answer = await inst.call("POST", "/v1/contacts", body)
            else:
                status, answer = await inst.lean.post("/v1/contacts", body)
            ok = status == 201
        except Exception:
            ok = False
        if ok:
            load.sent.append(Sent(answer["id"], scheduled_wall, time.perf_counter() - scheduled_mono))
        else:
            load.errors += 1

    tasks: list[asyncio.Task[None]] = []
    cpu0 = time.process_time()
    mono0, wall0 = time.perf_counter() + 0.05, time.time() + 0.05
    i = 0
    while i < n:
        now = time.perf_counter()
        due_now = min(n, int((now - mono0) * rate) + 1)
        while i < due_now:  # everything whose time has come, even if the loop woke late
            scheduled = mono0 + i / rate
            lag = max(lag, now - scheduled)
            tasks.append(asyncio.create_task(post(i, wall0 + i / rate, scheduled)))
            i += 1
        if i < n:
            await asyncio.sleep(max(0.0, mono0 + i / rate - time.perf_counter()))
    sent_for_s = time.perf_counter() - mono0
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_S) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    load.elapsed_s = time.perf_counter() - mono0
    return load, {
        # the generator's own CPU per request: it shares the cores with the server it measures
        "generator_cpu_us": (time.process_time() - cpu0) / max(1, n) * 1e6,
        "scheduled": n,
        "rate": rate,
        "sent_for_s": sent_for_s,
        "max_send_lag_s": lag,
        "unanswered": len(pending),
    }


async def fixed_level(
    redis_url: str, workdir: Path, rate: float, duration_s: float, redis_pid: int = 0
) -> dict[str, Any]:
    """One rate on one serve; enough responders on call that capacity never runs out."""
    responders = max(40, math.ceil((rate * duration_s + 400) / (CAPACITY * len(CHANNELS))) + 2)

    async def drive(inst: Serve) -> tuple[Load, dict[str, Any]]:
        return await at_rate(inst, rate, duration_s, "4")

    r = await measure_level(redis_url, workdir, responders, drive, redis_pid)
    # Kept up: every request answered and offered, and the queue not growing (p99 under 1 s).
    r["kept_up"] = (
        r["requests"] == r["scheduled"] and r["not_offered"] == 0 and r["send_to_offer_s"]["p99"] < 1.0
    )
    return r


def report(r: dict[str, Any]) -> list[str]:
    sto, rt = r["send_to_offer_s"], r["round_trip_s"]

    def ms(s: dict[str, float]) -> str:
        return f"p50 {s['p50'] * 1000:7.1f} ms  p99 {s['p99'] * 1000:7.1f} ms  max {s['max'] * 1000:8.1f} ms"

    lines = [
        f"{r['rate']:,.0f}/s for {r['sent_for_s']:.1f} s: {r['scheduled']:,} scheduled, {r['requests']:,} "
        f"taken in ({r['requests_per_s']:,.0f}/s), {r['offers_per_s']:,.0f} offers/s, {r['errors']} errors, "
        f"{r['unanswered']:,} unanswered {DRAIN_S:.0f} s after, {r['not_offered']:,} never offered; "
        f"kept up: {'yes' if r['kept_up'] else 'NO'}",
        f"  send (scheduled) -> offered  {ms(sto)}",
        f"  POST round trip              {ms(rt)}",
        f"  generator's worst lag behind its schedule {r['max_send_lag_s'] * 1000:.1f} ms, "
        f"its CPU {r['generator_cpu_us']:,.0f} µs per request",
    ]
    if r.get("cost"):
        lines.append("  " + cost_line("cost per contact (intake + offer)", r["cost"]))
    if "writer_cpu_us" in r:
        lines.append(f"  the ledger writer process: {r['writer_cpu_us']:,.0f} µs CPU per contact taken in")
    return lines


async def run(rates: list[float], duration_s: float) -> list[dict[str, Any]]:
    results = []
    for rate in rates:  # each on a fresh Redis: earlier contacts would hold capacity
        with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-openloop-") as tmp:
            results.append(await fixed_level(rs.url, Path(tmp), rate, duration_s, rs.pid))
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulations.bench.openloop", description=__doc__.split("\n")[0]
    )
    p.add_argument("--rates", default="500,2000", help="contacts per second, comma-separated")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load per rate")
    p.add_argument("--client", choices=("lean", "aiohttp"), default="lean", help="generator HTTP client")
    p.add_argument(
        "--ledger-writer",
        choices=("serve", "process"),
        default="serve",
        help="who files the ledger: the serve itself, or a `safetynet ledger write` process beside it",
    )
    p.add_argument("--workers", type=int, default=1, help="`serve --workers N`: instances on the port")
    args = p.parse_args(argv)
    CLIENT[0] = args.client
    WRITER[0] = args.ledger_writer
    SERVE_WORKERS[0] = args.workers
    print(f"open-loop intake: {machine()}")
    for r in asyncio.run(run([float(x) for x in args.rates.split(",") if x.strip()], args.duration)):
        for line in report(r):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
