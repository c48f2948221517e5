"""A hash of everything a simulation wrote, to check that a speed-up changed no decision.

    python -m simulations.bench.fingerprint [--contacts 20000] [--quick 5000]

Never run by the test suite. Runs `sim_speed`'s two scenarios (the M/M/4 floor and the busy
hotline, seed 1) through `Simulation`, then prints SHA-256 (first 16 hex digits) of every
stream event (id and JSON) and of every contact, offer and timer record left in the
MemoryStore, with the CPU seconds each run took. Equal fingerprints before and after a change
mean the same events in the same order and the same records, field for field.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import time

from simulations.bench.sim_speed import busy_hotline, mmc
from simulations.runner import Simulation, quiet_router_logs
from simulations.scenario import Scenario


async def fingerprint(sc: Scenario) -> tuple[str, str, int, int, float]:
    """(events hash, records hash, contacts, events, CPU seconds) of one run of `sc`."""
    cpu = time.process_time()
    with quiet_router_logs():
        sim = await Simulation(sc).run()
    cpu = time.process_time() - cpu
    store = sim.store
    events = hashlib.sha256()
    contact_ids: dict[str, None] = {}
    after, n = "0", 0
    while batch := await store.read_events(after, 10_000):
        for sid, event in batch:
            events.update(sid.encode())
            events.update(event.model_dump_json().encode())
            if event.contact_id:
                contact_ids.setdefault(event.contact_id, None)
        n += len(batch)
        after = batch[-1][0]
    records = hashlib.sha256()
    for contact in await store.get_contacts(sorted(contact_ids)):
        records.update(contact.model_dump_json().encode())
        for offer in await store.get_offers(sorted(contact.offer_ids)):
            records.update(offer.model_dump_json().encode())
    for timer in await store.timers():
        records.update(timer.model_dump_json().encode())
    return events.hexdigest()[:16], records.hexdigest()[:16], sim.arrivals, n, cpu


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulations.bench.fingerprint", description=__doc__)
    p.add_argument("--contacts", type=int, default=20_000, help="size of the busy-hotline run")
    p.add_argument("--quick", type=int, default=5_000, help="size of the M/M/4 run")
    args = p.parse_args(argv)
    for sc in (mmc(args.quick), busy_hotline(args.contacts)):
        ev, rec, contacts, n, cpu = asyncio.run(fingerprint(sc))
        size = f"{contacts:,} contacts, {n:,} events, {cpu:.2f} s CPU"
        print(f"{sc.name:<22} events={ev} records={rec} ({size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
