"""CPU instructions per operation and per simulated contact, counted by valgrind, not timed.

    python -m simulations.bench.instructions [--only ops,sim] [--sizes 100,600] [--contacts 500,2000]

Never run by the test suite. Needs valgrind (`apt-get install valgrind`): each workload runs in a
fresh Python under `valgrind --tool=callgrind`, at two sizes, and the difference of the two
totals divided by the difference of the sizes is what one more operation costs, start-up
(imports, connections, a ledger's migrations) cancelling out. Callgrind counts instructions
executed: the same code on the same inputs gives the same count whatever else the machine is
doing (the engine's modules read a clock that moves a fixed step each read, see SteadyTime),
where CPU seconds on this shared 2-core machine have drifted 2-5x within a day (the reference
workload read 4.3 to 26 ms). Instructions are not time (cache misses, branches and the kernel's
share are not in them), so use it to compare two versions of the code, not as a speed.

- ops: the real engine in a Python of its own on a fresh redis-server (in-process, as
  simulations/bench/roundtrips.py): a chat contact taken in and offered at once, that offer
  accepted, the contact closed, one at a time; a fixed roster (the responders do not grow with
  the size, so neither does a dispatch decision). Counted: instructions per intake + accept +
  close together, and the share of them in the cycle collector (`gc_collect_main`, inclusive).
  At 2,300 -> 2,500 contacts the process holds as many contacts as it remembers (2,000,
  router/store/known.py) and lets the oldest go as it takes new ones in, as a busy serve does.
- sim: `Simulation` of `sim_speed`'s busy hotline (seed 1) at two sizes: instructions per
  simulated contact.

Two runs at a time (one per core); ~2 minutes per pair at the defaults here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

RESPONDERS = 30  # on call for the ops workload, room for 100 chats each: 3,000 contacts at most
SUMMARY = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.M)
GC_LINE = re.compile(r"^\s*([\d,]+)\s.*gcmodule\.c:gc_collect_main\b", re.M)


# -- the workloads, run inside valgrind ---------------------------------------------------------
async def ops(n: int) -> None:
    from router.clock import VirtualClock
    from router.models import ContactIn
    from simulations.bench._inproc import engine_on
    from simulations.bench._procs import protocol_yaml, redis_server
    from simulations.bench.roundtrips import START, on_call

    text = protocol_yaml(response_target="1h", offer_timeout="10m", escalate_after="600s")
    with redis_server() as rs, tempfile.TemporaryDirectory(prefix="sn-bench-instr-") as tmp:
        proto = Path(tmp) / "protocol.yaml"
        proto.write_text(text)
        clock = VirtualClock(START)
        async with engine_on(rs.url, proto, Path(tmp), clock) as svc:
            engine = svc.engine
            await on_call(svc, RESPONDERS)
            for i in range(n):
                await engine.intake(ContactIn(channel="chat", sender=f"+1777{i:07d}", body="hi"))
            offers = await engine.offers_for(None, "pending")
            for o in offers:
                await engine.accept(o.id, by=o.responder)
            for o in offers:
                await engine.close(o.contact_id, "resolved", None, by=o.responder)


async def sim(n: int) -> None:
    from simulations.bench.sim_speed import busy_hotline
    from simulations.runner import Simulation

    await Simulation(busy_hotline(n)).run()


WORKLOADS = {"ops": ops, "sim": sim}


# The engine decides a few things on the monotonic clock (a whole read of the dispatch state at
# most every 50 ms, a guess only within a second of the last read, a burst's hold): under
# valgrind every operation takes ~50 times as long in wall time, and as long again when the
# machine is busy, so on the real clock those choices would follow the machine's load. Inside
# the count the engine's modules read a clock that moves STEP_S a call instead: the same
# choices every run, about as often per operation as at full speed (a few reads an operation).
STEP_S = 0.0001
STEADY = (
    "router.receiving",
    "router.dispatching",
    "router.bursts",
    "router.timers",
    "router.store.redis",
    "router.store.redis_views",
    "router.store.memory",
)


class SteadyTime:
    """The `time` module with a monotonic clock that advances STEP_S each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += STEP_S
        return self.now

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def run_inside(what: str, n: int) -> None:
    import importlib

    from simulations.quiet import quiet_router_logs

    steady = SteadyTime()
    for name in STEADY:
        module = importlib.import_module(name)
        if module.time is not time:
            raise RuntimeError(f"{name} reads time some other way: the count would follow the machine")
        module.time = steady  # type: ignore[attr-defined]
    with quiet_router_logs():
        asyncio.run(WORKLOADS[what](n))


# -- the driver ---------------------------------------------------------------------------------
def counted(what: str, n: int, out: Path) -> tuple[int, int | None]:
    """(instructions in all, instructions inside the cycle collector or None) of one run."""
    profile = out / f"callgrind.{what}.{n}"
    cmd = [
        shutil.which("valgrind") or "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={profile}",
        sys.executable,
        "-m",
        "simulations.bench.instructions",
        "--inside",
        what,
        str(n),
    ]
    # One string hash seed for every run: with Python's random one, dicts and sets collide and
    # resize differently from run to run (a 0.6% spread in the simulator's count).
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(cmd, capture_output=True, check=False, env=env)  # noqa: S603 - valgrind from PATH
    if done.returncode != 0:
        raise RuntimeError(f"{what} {n} under valgrind failed:\n{done.stderr.decode()[-2000:]}")
    found = SUMMARY.search(profile.read_bytes())
    if found is None:
        raise RuntimeError(f"no totals in {profile}")
    gc: int | None = None
    annotate = shutil.which("callgrind_annotate")
    if annotate:
        text = subprocess.run(  # noqa: S603 - valgrind's own script, from PATH
            [annotate, "--inclusive=yes", str(profile)], capture_output=True, check=False
        ).stdout.decode(errors="replace")
        hit = GC_LINE.search(text)
        gc = int(hit.group(1).replace(",", "")) if hit else 0
    return int(found.group(1)), gc


def per_op(what: str, sizes: tuple[int, int], out: Path) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        (lo, gc_lo), (hi, gc_hi) = pool.map(lambda n: counted(what, n, out), sizes)
    span = sizes[1] - sizes[0]
    result: dict[str, Any] = {"what": what, "sizes": sizes, "per_op": (hi - lo) / span, "totals": (lo, hi)}
    if gc_lo is not None and gc_hi is not None:
        result["gc_per_op"] = (gc_hi - gc_lo) / span
    return result


def report(r: dict[str, Any]) -> str:
    unit = "intake + accept + close" if r["what"] == "ops" else "simulated contact"
    line = (
        f"{r['what']:<4} {r['sizes'][0]:>6,} -> {r['sizes'][1]:>6,}: "
        f"{r['per_op']:>12,.0f} instructions per {unit}"
    )
    if "gc_per_op" in r:
        share = 100 * r["gc_per_op"] / r["per_op"]
        line += f", {r['gc_per_op']:,.0f} of them in the cycle collector ({share:.1f}%)"
    return line


def sizes_of(text: str) -> tuple[int, int]:
    lo, hi = (int(x) for x in text.split(","))
    if not 0 < lo < hi:
        raise argparse.ArgumentTypeError(f"two sizes, the first smaller: {text!r}")
    return lo, hi


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulations.bench.instructions", description=__doc__.split("\n")[0]
    )
    p.add_argument("--only", default="ops,sim", help="workloads, comma-separated: ops, sim")
    p.add_argument("--sizes", type=sizes_of, default=(100, 600), help="ops: contacts in the two runs")
    p.add_argument("--contacts", type=sizes_of, default=(500, 2000), help="sim: contacts in the two runs")
    p.add_argument("--inside", nargs=2, metavar=("WORKLOAD", "N"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.inside:
        run_inside(args.inside[0], int(args.inside[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload {unknown[0]!r}: choose from {', '.join(WORKLOADS)}")
    print(f"instructions (valgrind callgrind, {os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="sn-bench-callgrind-") as tmp:
        for what in chosen:
            print(report(per_op(what, args.sizes if what == "ops" else args.contacts, Path(tmp))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
