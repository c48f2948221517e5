"""The simulator against queueing theory: M/M/c on the real router agrees with Erlang C."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from simulations import Simulation, parse_scenario, quiet_router_logs
from simulations.report import ContactRecord, batch_ci

# 99% intervals: a table of cases makes about a dozen comparisons, and each must hold.
LEVEL = 0.99
# Ten long batches rather than twenty short ones: in a short run, short batches are still
# correlated and their interval is too narrow to be honest.
BATCHES = 10


def erlang_c_direct(c: int, a: float) -> float:
    """P(wait > 0) from the textbook sum, independent of simulations.erlang's recursion."""
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / (math.factorial(c) * (1 - rho))
    return tail / (head + tail)


def theory(c: int, per_hour: float, mean_s: float, t: float) -> tuple[float, float]:
    """Mean wait and P(wait > t) for M/M/c with FIFO."""
    lam = per_hour / 3600
    a = lam * mean_s
    pw = erlang_c_direct(c, a)
    drain = c / mean_s - lam  # the rate at which a queue empties once all c are busy
    return pw / drain, pw * math.exp(-drain * t)


@dataclass(frozen=True)
class Case:
    servers: int
    per_hour: float
    mean_s: float
    days: float
    seed: int

    @property
    def rho(self) -> float:
        return self.per_hour * self.mean_s / 3600 / self.servers


_runs: dict[Case, list[ContactRecord]] = {}


async def simulate(case: Case) -> list[ContactRecord]:
    """One run per case for the whole module (the power test reuses a case's run)."""
    if case in _runs:
        return _runs[case]
    sc = parse_scenario(
        {
            "name": f"mm{case.servers}",
            "seed": case.seed,
            "days": case.days,
            "warmup": "6h",
            "responders": {"count": case.servers, "channels": ["voice"], "capacity": {"voice": 1}},
            "arrivals": {"voice": case.per_hour},
            "handle": {"voice": {"kind": "exponential", "mean": case.mean_s}},
            # Long enough that no offer times out and no escalation widens anything; no wrap-up,
            # because M/M/c has no after-contact work (it would add to every service time).
            "protocol": {"response_target": "30d", "offer_timeout": "30d", "wrap_up": "0s"},
        }
    )
    with quiet_router_logs():
        sim = await Simulation(sc).run()
    records = sim.tally.window(sim.w0, sim.w1)
    assert records and all(r.answered_s is not None for r in records), "M/M/c answers everyone"
    _runs[case] = records
    return records


def check(case: Case, records: list[ContactRecord]) -> list[str]:
    """Every comparison the case makes; the failures, as readable lines."""
    waits = [r.answered_s or 0.0 for r in records]
    failures = []
    thresholds = [0.0, case.mean_s / 4, case.mean_s]
    mean, ci = batch_ci(waits, BATCHES, LEVEL)
    expected_mean, _ = theory(case.servers, case.per_hour, case.mean_s, 0)
    assert ci is not None and mean is not None
    if not ci[0] <= expected_mean <= ci[1]:
        failures.append(f"mean wait {mean:.1f}s, CI {ci[0]:.1f}-{ci[1]:.1f}, Erlang C {expected_mean:.1f}s")
    for t in thresholds:
        p, pci = batch_ci([1.0 if w > t else 0.0 for w in waits], BATCHES, LEVEL)
        _, expected = theory(case.servers, case.per_hour, case.mean_s, t)
        assert pci is not None and p is not None
        if not pci[0] <= expected <= pci[1]:
            failures.append(f"P(wait>{t:g}s) {p:.4f}, CI {pci[0]:.4f}-{pci[1]:.4f}, Erlang C {expected:.4f}")
    return failures


LIGHT_TO_BUSY = [
    pytest.param(Case(servers=1, per_hour=3.0, mean_s=360, days=20, seed=11), id="c1-rho0.30"),
    pytest.param(Case(servers=2, per_hour=10.0, mean_s=360, days=6, seed=12), id="c2-rho0.50"),
    pytest.param(Case(servers=5, per_hour=35.0, mean_s=360, days=3, seed=13), id="c5-rho0.70"),
]
# The queue's memory, in arrivals, is about rho / (1 - sqrt(rho))^2: 26 at rho 0.7, 120 at
# 0.84, 340 at 0.9. Batches must be several times that long for batch means to be honest, so
# the run grows fast with the load; 0.84 is as heavy as the suite's time budget allows.
HEAVY = [
    pytest.param(Case(servers=3, per_hour=25.2, mean_s=360, days=9, seed=14), id="c3-rho0.84"),
]


@pytest.mark.parametrize("case", LIGHT_TO_BUSY)
async def test_mmc_agrees_with_erlang_c(case: Case) -> None:
    records = await simulate(case)
    assert check(case, records) == []


@pytest.mark.slow
@pytest.mark.parametrize("case", HEAVY)
async def test_mmc_agrees_with_erlang_c_under_heavy_load(case: Case) -> None:
    records = await simulate(case)
    assert check(case, records) == []


async def test_the_comparison_can_fail() -> None:
    """Power: the same run told it had one responder fewer is caught out."""
    case = Case(servers=2, per_hour=10.0, mean_s=360, days=6, seed=12)
    records = await simulate(case)
    wrong = Case(servers=3, per_hour=case.per_hour, mean_s=case.mean_s, days=case.days, seed=case.seed)
    assert len(check(wrong, records)) >= 3
