"""Steady escalations: timers falling due at a fixed rate (200/s by default), and how late each fires.

    python -m simulations.bench.steady [--rate 200] [--duration 30]

Never run by the test suite. A burst measures how fast a backlog drains; this measures the
everyday case the DESIGN promises ("within milliseconds, not a polling interval"): one
`safetynet serve` on a fresh redis-server, and rate x duration contacts taken in ahead of time
by the real engine in this process, each at virtual time T0 - 600 s + i/rate with nobody on call
and a first escalation step after 600 s, so contact i's escalation is due at exactly
T0 + i/rate on the wall clock. The serve's timer loop fires them as they fall due.

Lateness of each escalation, two ways:
  - written: when its `escalated` event was appended (the stream id, Redis's clock, whole
    milliseconds) minus its due time: the escalation done and visible;
  - decided: the event's own `at` (the serve's clock when it took the decision) minus due.
Cost per escalation over the window (the serve's CPU, Redis commands and round trips): see
simulations/bench/_measure.py. Targets of issue #13: p99 <= 5 ms, none later than 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router.clock import VirtualClock
from simulations.bench._inproc import engine_on, intake_many, intake_rate
from simulations.bench._measure import Meter, cost_line
from simulations.bench._procs import machine, protocol_yaml, read_events, redis_server, serve, summary
from simulations.runner import quiet_router_logs

ESCALATE_AFTER_S = 600


async def run(rate: float, duration_s: float, lead_margin_s: float = 5.0) -> dict[str, Any]:
    n = round(rate * duration_s)
    text = protocol_yaml(response_target="2h", offer_timeout="10m", escalate_after=f"{ESCALATE_AFTER_S}s")
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-steady-") as tmp:
        workdir = Path(tmp)
        proto = workdir / "protocol.yaml"
        proto.write_text(text)
        async with serve(rs.url, text, workdir, counted=True) as inst:
            per_contact = await intake_rate(rs.url, proto, workdir)
            t0 = time.time() + 1.5 * per_contact * n + lead_margin_s
            start = datetime.fromtimestamp(t0 - ESCALATE_AFTER_S, UTC)
            clock = VirtualClock(start)
            async with engine_on(rs.url, proto, workdir, clock) as svc:
                ids = await intake_many(svc, clock, n, "2", at=lambda i: start + timedelta(seconds=i / rate))
            ahead_s = t0 - time.time()
            await asyncio.sleep(max(0.0, t0 - 1.0 - time.time()))
            meter = Meter(rs.url, [(inst.proc.pid, inst.count_file)], rs.pid)
            await meter.start()
            # Nothing polled meanwhile: the bench's own commands would blur the counts.
            await asyncio.sleep(max(0.0, t0 + duration_s + 1.0 - time.time()))
            usage = await meter.stop()
        events = await read_events(rs.url)
    due = {cid: t0 + i / rate for i, cid in enumerate(ids)}
    written, decided = [], []
    for e in events:
        if e.get("event") == "escalated" and e.get("contact_id") in due:
            d = due[e["contact_id"]]
            written.append(e["_written_ms"] / 1000 - d)
            decided.append(datetime.fromisoformat(e["at"]).timestamp() - d)
    return {
        "rate": rate,
        "duration_s": duration_s,
        "timers": n,
        "fired": len(written),
        "taken_in_ahead_s": ahead_s,
        "written_s": summary([max(0.0, x) for x in written]),
        "decided_s": summary([max(0.0, x) for x in decided]),
        "over_50ms": sum(1 for x in written if x > 0.050),
        "cost": usage.per_op(len(written)),
    }


def report(r: dict[str, Any]) -> list[str]:
    w, d = r["written_s"], r["decided_s"]

    def ms(s: dict[str, float]) -> str:
        return f"p50 {s['p50'] * 1000:6.1f} ms  p99 {s['p99'] * 1000:6.1f} ms  max {s['max'] * 1000:7.1f} ms"

    lines = [
        f"{r['fired']:,}/{r['timers']:,} escalations fired at {r['rate']:.0f}/s for {r['duration_s']:.0f} s "
        f"(contacts taken in {r['taken_in_ahead_s']:.1f} s ahead); {r['over_50ms']:,} later than 50 ms",
        f"  lateness, written (stream id, 1 ms resolution)  {ms(w)}",
        f"  lateness, decided (event's `at`)                {ms(d)}",
    ]
    if r["cost"]:
        lines.append("  " + cost_line("cost per escalation", r["cost"]))
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.steady", description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=200.0, help="escalations falling due per second")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of steady escalations")
    args = p.parse_args(argv)
    print(f"steady: {machine()}")
    with quiet_router_logs():
        result = asyncio.run(run(args.rate, args.duration))
    for line in report(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
