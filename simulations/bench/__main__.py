"""`python -m simulations.bench` (`make bench`): every benchmark in one run, then a summary.

    python -m simulations.bench [--contacts 10000] [--only intake,timers,sim,oncall] [--quick]

Never run by the test suite. Needs redis-server on PATH; Celery for the Celery comparison
(`pip install -e '.[bench]'`; skipped with a message without it). Bounded: about 6-8 minutes on
2 cores at the defaults, about 2 with --quick. Everything runs on 127.0.0.1 and every process
started is stopped before the next benchmark begins.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from simulations.bench import intake, oncall, sim_speed, timers
from simulations.bench._procs import machine

ALL = ("intake", "timers", "sim", "oncall")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench", description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=None, help="timers due at once (default 10,000)")
    p.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + ", ".join(ALL))
    p.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run, not the figures")
    args = p.parse_args(argv)
    chosen = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(chosen) - set(ALL))
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)}")
    n = args.contacts or (1_000 if args.quick else 10_000)
    began = time.monotonic()
    print(f"machine: {machine()}", flush=True)
    summary: list[str] = []
    intake_results: list[dict[str, Any]] = []

    if "intake" in chosen:
        print("\n== intake -> offer (one `safetynet serve`, real Redis, loopback load generator)", flush=True)
        duration = 5.0 if args.quick else 15.0
        intake_results = asyncio.run(intake.run([1, 16], duration, 12_000, 40))
        for r in intake_results:
            for line in intake.report_line(r):
                print(line)
            sto = r["send_to_offer_s"]
            summary.append(
                f"intake c={r['concurrency']:<2}  send->offered p50 {sto['p50'] * 1000:.1f} ms, "
                f"p99 {sto['p99'] * 1000:.1f} ms; {r['requests_per_s']:,.0f} contacts/s in, "
                f"{r['offers_per_s']:,.0f} offers/s; {r['not_offered']} left queued"
            )

    if "timers" in chosen:
        print(f"\n== escalation timers: {n:,} due at once, vs Celery and APScheduler", flush=True)
        results = timers.run(n, 4, True, True, ["1", "60"])
        for r in results:
            lat = r["lateness_s"]
            dropped = f", dropped {r['dropped']:,}" if "dropped" in r else ""
            summary.append(
                f"timers {r['system']}: p50 {lat['p50']:.3f}s p99 {lat['p99']:.3f}s max {lat['max']:.3f}s, "
                f"{r['fired_per_s']:,.0f} fired/s, {r['fired']:,}/{r['timers']:,} fired{dropped}"
            )
        summary += [
            "timers ratio" + line
            for line in timers.ratios(
                results[0], [r for r in results[1:] if not r["system"].startswith("SafetyNet")]
            )
        ]

    if "sim" in chosen:
        print(
            "\n== simulator speed (a modest size; the 200,000-contact year: python -m "
            "simulations.bench.sim_speed)",
            flush=True,
        )
        sim_speed.main(["--contacts", "3000" if args.quick else "10000", "--quick", "2000"])

    if "oncall" in chosen:
        print("\n== on-call lookups on a large roster", flush=True)
        oncall.main(["--lookups", "50000"] if args.quick else [])

    print(f"\n== summary ({time.monotonic() - began:,.0f}s wall)")
    for line in summary:
        print(line)
    if "sim" in chosen or "oncall" in chosen:
        print("(simulator speed and on-call figures: printed in their sections above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
