"""A run in segments on several processes: the same report whatever the worker count, a plain
`Simulation` when one segment long, and the same figures as a whole run, statistically."""

from __future__ import annotations

import gc
import json
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router.models import Contact
from simulations import Simulation, parse_scenario, quiet_router_logs
from simulations.bench.sim_speed import busy_hotline
from simulations.cli import simulate_main, staffing_main
from simulations.report import ContactRecord, batch_ci
from simulations.results import figures, results
from simulations.scenario import Scenario
from simulations.segments import (
    EVEN_SEGMENTS,
    MAX_SEGMENT_DAYS,
    SEGMENT_DAYS,
    SegmentTask,
    boundaries,
    default_workers,
    measure,
    run_segment_async,
    run_segments,
    segments_for,
    simulate,
    workers_for,
)
from tests.simulations.collections import collections_seen
from tests.simulations.test_erlang import Case, check

SMALL = {
    "name": "small",
    "warmup": "2h",
    "drain": "2h",
    "seed": 5,
    "responders": {"count": 2, "channels": ["voice", "sms"], "capacity": {"voice": 1, "sms": 2}},
    "arrivals": {"voice": 6, "sms": 4},
    "handle": {"voice": {"kind": "exponential", "mean": "12m"}, "sms": "20m"},
    "patience": {"voice": {"kind": "exponential", "mean": "10m"}},
    "behaviour": {"react": "20s", "accept": 0.9, "no_answer": 0.05},
}


def small(days: float) -> Scenario:
    return parse_scenario({**SMALL, "days": days})


def test_a_light_run_starts_no_workers_by_default() -> None:
    # 10 contacts an hour: 6,720 in four weeks, 87,600 in a year.
    assert workers_for(small(28)) == 1
    assert workers_for(small(365)) == default_workers()
    assert workers_for(small(365), days=28) == 1


def test_the_policy_depends_on_the_window_alone() -> None:
    assert segments_for(SEGMENT_DAYS * 2 - 0.01) == 1
    assert segments_for(28) == 2
    # Past 12 segments of two weeks: as few as 1, 2, 3, 4 and 6 workers share evenly, each
    # short enough to hold in memory.
    assert segments_for(EVEN_SEGMENTS * SEGMENT_DAYS) == EVEN_SEGMENTS
    assert segments_for(365) == 12
    assert segments_for(2 * 365) == 12
    century = segments_for(100 * 365)
    assert century % EVEN_SEGMENTS == 0 and 100 * 365 / century <= MAX_SEGMENT_DAYS
    edges = boundaries(small(1).start, 365 / 7, 7)
    assert len(edges) == 8 and all(e.microsecond % 1000 == 0 for e in edges)


async def test_workers_change_nothing_but_speed() -> None:
    sc = small(3)
    with quiet_router_logs():
        one = await run_segments(sc, workers=1, ledger=True, count=3)
        two = await run_segments(sc, workers=2, ledger=True, count=3)
    assert one.compliance is not None and two.compliance is not None
    a = json.dumps(figures(one.measured, one.compliance), sort_keys=True)
    b = json.dumps(figures(two.measured, two.compliance), sort_keys=True)
    assert a == b
    assert one.measured.segments == 3 and one.measured.records
    # A worker's asyncio.run writes out its finished task's repr, result and all: a summary.
    part = one.parts[0]
    assert repr(part) == f"SegmentResult(index=0, records={len(part.records)}, " + (
        f"timers_fired={part.timers_fired}, cpu_s={part.cpu_s:.3f})"
    )
    # Contacts of three segments in one ledger: every one of them counted once.
    assert one.compliance["contacts"] + one.compliance["callback_tasks"] == len(one.measured.records)


async def test_a_finished_segment_leaves_its_records_to_no_collection() -> None:
    """One worker runs segment after segment: each one's store is let go of when it is done,
    not left in the Simulation's cycle for the next run's full collection to walk."""
    sc = small(2)
    # Contacts alive before (other tests' fixtures and caches), held so that none is freed and
    # its address taken by a new one: only the runs' own are counted.
    earlier = [o for o in gc.get_objects() if isinstance(o, Contact)]
    known = {id(o) for o in earlier}

    def left() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, Contact) and id(o) not in known)

    enabled = gc.isenabled()
    gc.disable()  # nothing is collected meanwhile: what is left is what nothing freed
    try:
        with quiet_router_logs():
            run = await run_segments(sc, workers=1, count=2)
            left_by_segments = left()
            planned = await measure(sc, days=1)
            left_by_a_trial = left()
    finally:
        if enabled:
            gc.enable()
    assert run.measured.records and planned.records
    assert left_by_segments == 0
    assert left_by_a_trial == 0


async def test_one_segment_is_a_plain_simulation() -> None:
    sc = small(2)
    with quiet_router_logs():
        plain = await results(await Simulation(sc).run())
        via = await simulate(sc, workers=2)
    assert json.dumps(via, sort_keys=True) == json.dumps(plain, sort_keys=True)


async def test_segmented_mmc_agrees_with_erlang_c() -> None:
    case = Case(servers=3, per_hour=60.0, mean_s=120, days=6, seed=21)  # rho 0.67, ~8,600 contacts
    sc = parse_scenario(
        {
            "name": "mm3",
            "seed": case.seed,
            "days": case.days,
            "warmup": "2h",
            "responders": {"count": case.servers, "channels": ["voice"], "capacity": {"voice": 1}},
            "arrivals": {"voice": case.per_hour},
            "handle": {"voice": {"kind": "exponential", "mean": case.mean_s}},
            "protocol": {"response_target": "30d", "offer_timeout": "30d", "wrap_up": "0s"},
        }
    )
    with quiet_router_logs():
        run = await run_segments(sc, workers=2, count=3)
    records = run.measured.records
    assert records and all(r.answered_s is not None for r in records)
    assert check(case, records) == []


async def test_busy_hotline_within_target_agrees_with_a_whole_run() -> None:
    sc = busy_hotline(3000)
    with quiet_router_logs():
        whole = await Simulation(sc).run()
        parts = await run_segments(sc, workers=2, count=2)
    within = [
        1.0 if r.answered_s is not None and r.answered_s <= r.target_s else 0.0
        for r in whole.tally.window(whole.w0, whole.w1)
    ]
    _, ci = batch_ci(within, 10, 0.99, ceiling=1.0)
    seg = parts.measured.records
    share = sum(1 for r in seg if r.answered_s is not None and r.answered_s <= r.target_s) / len(seg)
    assert ci is not None and ci[0] <= share <= ci[1], (share, ci)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
@pytest.mark.parametrize("command", [simulate_main, staffing_main])
def test_bad_workers_are_refused_naming_the_option(
    command: object, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({**SMALL, "days": 1}))
    assert callable(command)
    with pytest.raises(SystemExit) as exit_:
        command([str(path), "--workers", value])
    assert exit_.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_a_record_crosses_processes_whole() -> None:
    """A segment's records are pickled back from its worker: every field comes back."""
    record = ContactRecord(
        id="c_1",
        received_at=datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
        channel="chat",
        priority="high",
        target_s=600.0,
        flags=("handle_with_care",),
        answered_s=41.5,
        breached_s=600.0,
        abandoned_s=700.25,
        offers=3,
        declined=1,
        expired=2,
        escalations=4,
    )
    back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 (our own bytes)
    assert back == record and type(back) is ContactRecord


async def test_a_segment_files_its_ledger_with_the_collector_paused() -> None:
    """Filing a segment's ledger beside its whole store sets off no automatic collection (each
    would walk every record); the only one is the run's own full collection at its start."""
    sc = small(3)
    edges = boundaries(sc.start + timedelta(seconds=sc.warmup), 3, 1)
    task = SegmentTask(sc, 0, 1, edges[0], edges[1], 7, None, True)
    with collections_seen() as collections, quiet_router_logs():
        result = await run_segment_async(task)
    assert result.ledger is not None and result.records
    # The run's own full collection at its start, then at most the young one the filing's
    # allocations set off once the collector is back.
    assert collections[0] == 2 and len(collections) <= 2 and 2 not in collections[1:]
