"""The bench's own arithmetic (no benchmark is run here): CPU read from /proc, and the targets
line judging a run's figures against issue #13."""

from __future__ import annotations

import gc
import os
import time

import pytest

from simulations.bench import _summary
from simulations.bench._measure import Usage, collector_paused, earlier_phases_set_aside, proc_cpu_s


def stats(p99: float, mx: float | None = None) -> dict[str, float]:
    return {"n": 1, "p50": p99 / 2, "p90": p99, "p99": p99, "max": mx or p99, "mean": p99 / 2}


def test_process_cpu_grows_with_work_and_is_zero_for_a_gone_process() -> None:
    before = proc_cpu_s(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert proc_cpu_s(os.getpid()) - before >= 0.03
    assert proc_cpu_s(2**22 + 7) == 0.0


def test_the_generator_drives_a_load_with_its_collector_paused_and_restored() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()  # no full collection of earlier phases' leftovers mid-load
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the load failed")
    assert gc.isenabled()


def test_a_timed_phase_runs_with_earlier_phases_out_of_the_collectors_sight() -> None:
    leftover = [[i] for i in range(1000)]  # what an earlier phase still holds
    held = {id(x) for x in leftover}
    frozen = gc.get_freeze_count()
    with earlier_phases_set_aside():
        assert gc.get_freeze_count() >= frozen + len(leftover)
        assert not any(id(o) in held for o in gc.get_objects(generation=2))  # not scanned again
    # handed back: the simulator's runner pauses the collector only when nothing is frozen
    assert gc.get_freeze_count() == frozen


def test_cost_per_operation_divides_by_operations() -> None:
    usage = Usage(cpu_s=0.5, commands={"evalsha": 1000, "hget": 500}, total_commands=1500, round_trips=250)
    cost = usage.per_op(1000)
    assert cost["cpu_us"] == 500.0
    assert cost["commands"] == 1.5
    assert cost["round_trips"] == 0.25
    assert cost["top_commands"] == {"evalsha": 1.0, "hget": 0.5}


def test_targets_say_met_only_when_every_condition_holds() -> None:
    sn = {
        "system": "SafetyNet, 2 instances",
        "instances": 2,
        "timers": 6000,
        "fired": 6000,
        "lateness_s": stats(0.8),
        "cost": {"cpu_us": 250.0},
    }
    celery = {"system": "Celery", "timers": 6000, "fired": 6000, "lateness_s": stats(1.2)}
    aps = {"system": "APScheduler 1 s", "timers": 6000, "fired": 1400, "lateness_s": stats(0.9)}
    steady = {"rate": 200.0, "timers": 6000, "fired": 6000, "written_s": stats(0.004, 0.06), "over_50ms": 1}
    lines = _summary.targets([sn, celery, aps], steady, [], [])
    assert lines[0].startswith("burst, two instances: all fired, p99 <= 1.0 s: MET")
    # the peer that dropped timers is not the bar; Celery (1.2 s) is
    assert "ahead of every peer that keeps all its timers: MET" in lines[1]
    assert "per escalation <= 300 µs: MET" in lines[2]
    assert "steady 200/s: p99 <= 5 ms and none > 50 ms: NOT met" in lines[3]  # one over 50 ms


def test_intake_on_several_workers_is_judged_apart_from_one_serve() -> None:
    def run(rate: float, workers: int, taken: float, kept: bool, p99: float) -> dict[str, object]:
        return {
            "rate": rate,
            "workers": workers,
            "requests_per_s": taken,
            "offers_per_s": taken,
            "kept_up": kept,
            "send_to_offer_s": stats(p99),
            "cost": {"cpu_us": 1500.0, "round_trips": 2.1 if workers == 1 else None},
        }

    one = run(2000.0, 1, 740.0, False, 12.0)
    two = run(2000.0, 2, 2000.0, True, 0.030)
    lines = _summary.targets([], None, [one, two], [])
    assert "intake 2,000/s sustained, send→offer p99 < 50 ms: NOT met (740 taken in/s" in lines[0]
    assert "with `serve --workers 2`, p99 < 50 ms: MET (2,000 taken in/s" in lines[1]
    table = _summary.intake_table([one, two], [])
    assert table[3].startswith("| 2,000/s fixed |") and table[4].startswith("| 2,000/s fixed, 2 workers |")
