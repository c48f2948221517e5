"""The bench's own arithmetic (no benchmark is run here): CPU read from /proc, and the targets
line judging a run's figures against issue #13."""

from __future__ import annotations

import os
import time

from simulations.bench import _summary
from simulations.bench._measure import Usage, proc_cpu_s


def stats(p99: float, mx: float | None = None) -> dict[str, float]:
    return {"n": 1, "p50": p99 / 2, "p90": p99, "p99": p99, "max": mx or p99, "mean": p99 / 2}


def test_process_cpu_grows_with_work_and_is_zero_for_a_gone_process() -> None:
    before = proc_cpu_s(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert proc_cpu_s(os.getpid()) - before >= 0.03
    assert proc_cpu_s(2**22 + 7) == 0.0


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
