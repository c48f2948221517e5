"""One run's figures: the production compliance report plus waits, offers and utilisation."""

from __future__ import annotations

import math
from typing import Any

from router import reports as production
from router.clock import VirtualClock
from router.ledger import Ledger
from router.ledger.writer import Writer
from router.models import DEFAULT_CAPACITY
from schedules import RosterVersion
from simulations import erlang
from simulations.distributions import Constant, Exponential
from simulations.measured import Measured
from simulations.report import waits
from simulations.runner import Simulation, collector_paused
from simulations.scenario import Scenario


def mmc_theory(sc: Scenario) -> dict[str, Any] | None:
    """Erlang C's figures when the scenario is an M/M/c queue: one channel of constant Poisson
    arrivals, exponential handling, `count` always-on responders who accept at once and never
    fail to answer. Each responder is `capacity` servers on that channel. None otherwise."""
    if sc.responders.count is None or len(sc.arrivals) != 1:
        return None
    ((channel, profile),) = sc.arrivals.items()
    handle = sc.handle[channel]
    b = sc.behaviour
    instant = all(isinstance(d, Constant) and d.value == 0 for d in (b.react, b.answer_delay))
    if (
        len(set(profile)) != 1
        or not isinstance(handle, Exponential)
        or not instant
        or b.accept < 1
        or b.no_answer > 0
        or sc.patience
        or channel not in sc.responders.channels
    ):
        return None
    per = sc.responders.capacity.get(channel, DEFAULT_CAPACITY[channel])
    c, rate, mean = sc.responders.count * per, profile[0] / 3600, handle.mean
    rho = rate * mean / c
    return {
        "model": "M/M/c (Erlang C)",
        "servers": c,
        "load_erlangs": rate * mean,
        # How many arrivals the queue takes to forget its past: batches (ci95.batch_contacts)
        # several times longer than this give honest intervals; heavy loads need long runs.
        "relaxation_contacts": rho / (1 - math.sqrt(rho)) ** 2 if rho < 1 else None,
        "p_wait": erlang.erlang_c(c, rate * mean),
        "mean_wait_s": erlang.mean_wait(c, rate, mean),
        "p_wait_over_s": {_key(t): erlang.p_wait_over(c, rate, mean, t) for t in sc.thresholds},
    }


async def ledger_report(sim: Simulation, roster: RosterVersion | None) -> dict[str, Any]:
    """File the run's events into a scratch in-memory ledger and report from it."""
    ledger = Ledger.open("sqlite+aiosqlite://")
    try:
        await ledger.upgrade()
        await Writer(sim.store, ledger, VirtualClock(sim.end), batch=20_000).catch_up()
        return await production.compliance(ledger, sim.w0, sim.w1, sim.end, sim.scenario.protocol, roster)
    finally:
        await ledger.close()


def _key(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else str(t)


async def results(sim: Simulation) -> dict[str, Any]:
    """The production compliance report (router.reports, from a ledger the production writer
    fills from the store's events) plus what only a simulation can give: waits with confidence
    intervals, utilisation. Made with the collector paused: the run's whole store is alive
    beside the filing, and any collection would walk it."""
    with collector_paused():
        report = await ledger_report(sim, await sim.store.latest_version())
        return figures(Measured.of(sim), report)


def figures(m: Measured, report: dict[str, Any]) -> dict[str, Any]:
    """`results` from what a run measured and the compliance report over its window (one
    `Simulation`'s, or the merge of its segments': simulations/segments.py)."""
    sc = m.scenario
    records = m.records
    wait = waits(records, m.waited(), sc.thresholds, sc.batches)
    out: dict[str, Any] = {
        "scenario": sc.name,
        "seed": m.seed,
        "window": {
            "from": m.w0.isoformat(),
            "to": m.w1.isoformat(),
            "days": (m.w1 - m.w0).total_seconds() / 86400,
            "warmup_s": sc.warmup,
        },
        "within_target_pct": report["within_target_pct"],
        "time_to_answer_s": report["time_to_answer_s"],
        # All of them: the report lists only its first page of breaches.
        "breaches": report["breaches_total"],
        "mean_wait_s": wait["mean_s"],
        "p_wait_over_s": {k: v["value"] for k, v in wait["p_over"].items()},
        "ci95": {
            "method": f"batch means, {sc.batches} batches in arrival order",
            "batch_contacts": len(records) // sc.batches,
            "batch_lag1_autocorrelation": wait["lag1"],
            "mean_wait_s": wait["mean_ci95"],
            "p_wait_over_s": {k: v["ci95"] for k, v in wait["p_over"].items()},
        },
        "contacts": {
            "received": len(records),
            "answered": sum(1 for r in records if r.answered_s is not None),
            "abandoned": sum(1 for r in records if r.abandoned_s is not None),
            "unanswered_at_end": sum(1 for r in records if r.answered_s is None and r.abandoned_s is None),
        },
        "offers": {
            "made": sum(r.offers for r in records),
            "declined": sum(r.declined for r in records),
            "expired": sum(r.expired for r in records),
        },
        "escalations": sum(r.escalations for r in records),
        "pages": m.pages,
        "utilisation": m.utilisation.report(),
        "compliance": report,
    }
    theory = mmc_theory(sc)
    if theory is not None:
        out["theory"] = theory
    return out
