"""Intake -> offer latency and sustained intake throughput of one `safetynet serve` on a real Redis.

    python -m simulations.bench.intake [--duration 15] [--concurrency 1,16] [--max-requests 12000]

Never run by the test suite. Starts a throwaway redis-server and one `safetynet serve` on loopback,
puts `--responders` responders on call (a published roster) with capacity 100 on every channel so
every contact is offered at once, then an aiohttp load generator in this process posts contacts
(`POST /v1/contacts`, a distinct sender each, channels in turn) from `concurrency` workers for
`--duration` seconds or until `--max-requests`, whichever comes first, after a short warm-up.
Offers are never answered (the offer timeout is longer than the run), so capacity bounds the run.

Latencies, per contact, from the event stream afterwards:
  - send -> offered: this process's wall clock when the POST was sent to the moment Redis appended
    the `offered` event to the stream (the stream entry id; same machine, same clock);
  - time_to_offer_s: the event's own field (arrival in the engine -> offer);
  - POST round trip: send -> 201 received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulations.bench._measure import Meter, collector_paused, cost_line, proc_cpu_s
from simulations.bench._procs import (
    Serve,
    children,
    ledger_writer,
    machine,
    protocol_yaml,
    read_events,
    redis_server,
    serve,
    summary,
)

CHANNELS = ("chat", "sms", "email", "voice")
CAPACITY = 100  # the most a responder may hold per channel (router.models)
# Who files the ledger while intake is measured: "serve" (the instance's own writer, the
# default) or "process" (SAFETYNET_LEDGER_WRITER=process and a `safetynet ledger write` beside).
WRITER = ["serve"]
# `serve --workers N` (router/workers.py): the instances sharing the port. Above 1 the round
# trips are not counted (the instances are the supervisor's children); their CPU is.
SERVE_WORKERS = [1]


@dataclass
class Sent:
    contact_id: str
    sent_at: float  # wall clock, epoch seconds
    round_trip_s: float


@dataclass
class Load:
    sent: list[Sent] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0


async def put_on_call(inst: Serve, responders: int) -> None:
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=2)).isoformat()
    shifts = []
    for i in range(responders):
        rid = f"r{i:03d}"
        await inst.ok(
            "PUT",
            f"/v1/responders/{rid}",
            {
                "name": rid,
                "channels": list(CHANNELS),
                "capacity": dict.fromkeys(CHANNELS, CAPACITY),
                "languages": ["en"],
            },
        )
        shifts.append({"responder": rid, "role": "primary", "start": start, "end": end})
    await inst.ok("PUT", "/v1/rosters/bench", {"timezone": "UTC", "shifts": shifts})
    await inst.ok("POST", "/v1/rosters/bench/publish", {"from": start, "to": end, "force": True})


async def generate(inst: Serve, concurrency: int, duration_s: float, limit: int, tag: str) -> Load:
    """`concurrency` workers post contacts back to back until the time or the count runs out."""
    load = Load()
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + duration_s

    async def worker() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            if n >= limit:
                return
            body = {"channel": CHANNELS[n % len(CHANNELS)], "from": f"+1555{tag}{n:07d}", "body": "hello"}
            sent_wall, sent_mono = time.time(), time.perf_counter()
            try:
                status, answer = await inst.lean.post("/v1/contacts", body)
                ok = status == 201
            except Exception:
                ok = False
            if ok:
                load.sent.append(Sent(answer["id"], sent_wall, time.perf_counter() - sent_mono))
            else:
                load.errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.elapsed_s = time.perf_counter() - started
    return load


OFFER_WAIT_S = 10.0


async def offered_times(
    redis_url: str, ids: set[str], within_s: float = OFFER_WAIT_S
) -> tuple[dict[str, dict[str, Any]], int]:
    """The first `offered` event of each contact (waiting, bounded, for the last to be written),
    and the XRANGE calls made reading them (the bench's own, taken out of the Redis counts)."""
    deadline = time.monotonic() + within_s
    found: dict[str, dict[str, Any]] = {}
    calls = 0
    while True:
        found = {}
        events = await read_events(redis_url)
        calls += len(events) // 5000 + 1  # read_events pages 5,000 at a time, then one empty page
        for e in events:
            cid = e.get("contact_id")
            if e.get("event") == "offered" and cid in ids and cid not in found:
                found[cid] = e
        if len(found) >= len(ids) or time.monotonic() > deadline:
            return found, calls
        await asyncio.sleep(0.5)


Drive = Callable[[Serve], Awaitable[tuple[Load, dict[str, Any]]]]


async def measure_level(
    redis_url: str, workdir: Path, responders: int, drive: Drive, redis_pid: int = 0
) -> dict[str, Any]:
    """One `safetynet serve` (round trips counted), responders on call, a warm-up, then `drive`'s
    load; latencies from the event stream, cost per contact (intake and its offer) over the load
    until the last offer (simulations/bench/_measure.py)."""
    text = protocol_yaml(response_target="20m", offer_timeout="10m", escalate_after="15m")
    apart = WRITER[0] == "process"
    env = {"SAFETYNET_LEDGER_WRITER": "process"} if apart else None
    n = SERVE_WORKERS[0]
    async with serve(redis_url, text, workdir, env, counted=True, workers=n) as inst:
        with ledger_writer(redis_url, workdir) if apart else contextlib.nullcontext() as writer:
            await put_on_call(inst, responders)
            await generate(inst, 4, 2.0, 200, "9")  # warm-up, not measured
            await asyncio.sleep(0.5)
            pids: list[tuple[int, Path | None]] = [(inst.proc.pid, inst.count_file)]
            if n > 1:
                pids = [(pid, None) for pid in children(inst.proc.pid)]
            meter = Meter(redis_url, pids, redis_pid)
            writer_cpu = proc_cpu_s(writer.pid) if writer else 0.0
            with collector_paused():
                await meter.start()
                load, extra = await drive(inst)
            ids = {s.contact_id for s in load.sent}
            offered, polls = await offered_times(redis_url, ids)
            usage = await meter.stop({"xrange": polls})
            if writer:
                writer_cpu = proc_cpu_s(writer.pid) - writer_cpu
                extra["writer_cpu_us"] = 1e6 * writer_cpu / max(1, len(load.sent))
    got = [s for s in load.sent if s.contact_id in offered]
    send_to_offer = [offered[s.contact_id]["_written_ms"] / 1000 - s.sent_at for s in got]
    server_tto = [float(offered[s.contact_id]["time_to_offer_s"]) for s in got]
    last_offer = max((offered[s.contact_id]["_written_ms"] / 1000 for s in got), default=0.0)
    first_send = min((s.sent_at for s in load.sent), default=0.0)
    last_answer = max((s.sent_at + s.round_trip_s for s in load.sent), default=0.0)
    return {
        **extra,
        "workers": n,
        "requests": len(load.sent),
        "errors": load.errors,
        "elapsed_s": load.elapsed_s,
        # taken in = answered 201, per second from the first send to the last answer
        "requests_per_s": len(load.sent) / (last_answer - first_send) if load.sent else 0.0,
        "offered": len(offered),
        "not_offered": len(ids) - len(offered),
        "offers_per_s": len(got) / (last_offer - first_send) if got else 0.0,
        "send_to_offer_s": summary(send_to_offer),
        "time_to_offer_s": summary(server_tto),
        "round_trip_s": summary([s.round_trip_s for s in load.sent]),
        "cost": usage.per_op(len(load.sent)),
    }


async def one_level(
    redis_url: str,
    workdir: Path,
    concurrency: int,
    duration_s: float,
    limit: int,
    responders: int,
    redis_pid: int = 0,
) -> dict[str, Any]:
    async def closed_loop(inst: Serve) -> tuple[Load, dict[str, Any]]:
        return await generate(inst, concurrency, duration_s, limit, f"{concurrency % 10}"), {}

    return {
        "concurrency": concurrency,
        **await measure_level(redis_url, workdir, responders, closed_loop, redis_pid),
    }


def ms(stats: dict[str, float], key: str) -> str:
    return f"{stats[key] * 1000:7.1f}"


def report_line(r: dict[str, Any]) -> list[str]:
    sto, tto, rt = r["send_to_offer_s"], r["time_to_offer_s"], r["round_trip_s"]
    cost = [f"  {cost_line('cost per contact (intake + offer)', r['cost'])}"] if r.get("cost") else []
    return [
        f"concurrency {r['concurrency']:>3}: {r['requests']:,} contacts in {r['elapsed_s']:.1f}s = "
        f"{r['requests_per_s']:,.0f} contacts/s taken in, {r['offers_per_s']:,.0f} offers/s "
        f"(first send to last offer); {r['errors']} errors; "
        f"{r['not_offered']} left queued {OFFER_WAIT_S:.0f}s after the load with capacity free",
        f"  send -> offered     p50 {ms(sto, 'p50')} ms  p99 {ms(sto, 'p99')} ms  max {ms(sto, 'max')} ms",
        f"  time_to_offer_s     p50 {ms(tto, 'p50')} ms  p99 {ms(tto, 'p99')} ms  max {ms(tto, 'max')} ms",
        f"  POST round trip     p50 {ms(rt, 'p50')} ms  p99 {ms(rt, 'p99')} ms  max {ms(rt, 'max')} ms",
        *cost,
    ]


async def run(
    concurrencies: list[int], duration_s: float, limit: int, responders: int
) -> list[dict[str, Any]]:
    results = []
    # Each level on a fresh Redis: earlier contacts would hold capacity and lengthen the queue.
    for c in concurrencies:
        with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-intake-") as tmp:
            results.append(await one_level(rs.url, Path(tmp), c, duration_s, limit, responders, rs.pid))
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.intake", description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=15.0, help="seconds of load per concurrency level")
    p.add_argument("--concurrency", default="1,16", help="comma-separated levels (requests in flight)")
    p.add_argument("--max-requests", type=int, default=12_000, help="per level")
    p.add_argument("--responders", type=int, default=40)
    args = p.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    limit = min(args.max_requests, args.responders * CAPACITY * len(CHANNELS) - 400)
    print(f"intake: {machine()}")
    print(
        f"method: one `safetynet serve` on a fresh redis-server per level, {args.responders} responders "
        f"on call, load generator in this process (aiohttp, loopback), {args.duration:.0f}s "
        f"or {limit:,} contacts per level"
    )
    for r in asyncio.run(run(levels, args.duration, limit, args.responders)):
        for line in report_line(r):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
