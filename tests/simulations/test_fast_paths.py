"""What makes the simulator cheap must not change what it finds, nor leak out of the run."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from router import engine as engine_module
from router.engine import Engine
from router.metrics import UnrecordedMetrics
from router.models import Contact, ContactStatus, Offer
from router.store import MemoryStore
from router.timer_models import Timer, TimerKind
from router.trusted_records import evolve
from simulations import Scenario, Simulation, parse_scenario, quiet_router_logs, runner
from simulations.sim_engine import SimEngine

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def contact() -> Contact:
    return Contact(
        id="c_1",
        channel="sms",
        status=ContactStatus.queued,
        priority="normal",
        seq=1,
        received_at=NOW,
        deadline=NOW + timedelta(minutes=20),
        target_s=1200.0,
        protocol_version="v1",
        sender="sim-1",
    )


def test_evolve_is_model_copy_with_an_update() -> None:
    c = contact()
    changes = {"status": ContactStatus.offered, "offer_ids": ["o_1"], "offered_at": NOW}
    fast, slow = evolve(c, changes), c.model_copy(update=changes)
    assert fast == slow
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_fields_set == slow.model_fields_set
    assert c.status == ContactStatus.queued and c.offer_ids == []  # the original is untouched
    offer = Offer(
        id="o_1",
        contact_id="c_1",
        responder="r1",
        channel="sms",
        priority="normal",
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=2),
    )
    assert evolve(offer, {"resolved_at": NOW}) == offer.model_copy(update={"resolved_at": NOW})


def test_quiet_logs_are_put_back_after_the_run() -> None:
    proxy = engine_module.log
    with quiet_router_logs():
        assert engine_module.log is not proxy
        assert engine_module.log.info("contact_received") is None  # a no-op, not a proxy
    assert engine_module.log is proxy
    assert isinstance(engine_module.log, type(structlog.get_logger()))


def test_unrecorded_metrics_take_every_update_and_keep_nothing() -> None:
    m = UnrecordedMetrics()
    m.contacts.labels("sms", "normal").inc()
    m.time_to_answer.labels("sms", "normal").observe(3.0)
    m.queue_depth.set(4)
    assert b"safetynet_contacts_total{" not in m.render()


async def test_a_released_responders_late_answer_connects_nobody() -> None:
    """Every answer comes after the answer timeout (3 min): the engine releases each contact
    before its responder's answer lands. That answer must not answer the contact for whoever
    holds it now (the run used to close such a contact twice and stop with InvalidState)."""
    sc = parse_scenario(
        {
            "warmup": "0s",
            "days": 0.5,
            "drain": "1h",
            "responders": {"count": 3, "channels": ["sms"], "capacity": {"sms": 1}},
            "arrivals": {"sms": 4},
            "handle": {"sms": {"kind": "exponential", "mean": "10m"}},
            "behaviour": {"react": {"kind": "constant", "value": "10s"}, "answer_delay": "4m"},
        }
    )
    with quiet_router_logs():
        sim = await Simulation(sc).run()
    records = list(sim.tally.records.values())
    assert records
    assert all(r.answered_s is None for r in records)
    assert all(held == 0 for held in sim.utilisation.held.values())


def small_hotline() -> Scenario:
    return parse_scenario(
        {
            "warmup": "0s",
            "days": 1,
            "responders": {"count": 3, "capacity": {"voice": 1, "sms": 2}},
            "arrivals": {"voice": 6, "sms": 6},
            "handle": {"voice": "10m", "sms": "15m"},
            "patience": {"voice": {"kind": "exponential", "mean": "5m"}},
            "behaviour": {"react": "20s", "accept": 0.8, "no_answer": 0.1, "answer_delay": "10s"},
        }
    )


async def events_of(sim: Simulation) -> list[str]:
    return [f"{sid} {event.model_dump_json()}" for sid, event in await sim.store.read_events("0", 1_000_000)]


async def test_skipping_empty_queue_passes_changes_no_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """SimEngine skips a dispatch pass over an empty queue: the same run on the plain Engine
    writes the same events, in the same order, with the same ids."""
    with quiet_router_logs():
        fast = await Simulation(small_hotline()).run()
        assert isinstance(fast.engine, SimEngine)
        monkeypatch.setattr(runner, "SimEngine", Engine)
        plain = await Simulation(small_hotline()).run()
    assert type(plain.engine) is Engine
    fast_events = await events_of(fast)
    assert len(fast_events) > 100
    assert fast_events == await events_of(plain)


async def test_a_run_leaves_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with quiet_router_logs():
        await Simulation(small_hotline()).run()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


async def test_the_memory_stores_next_due_in_milliseconds_is_next_due() -> None:
    store = MemoryStore()
    assert store.next_due_ms() is None and await store.next_due() is None
    due = NOW + timedelta(milliseconds=1234)
    await store.arm(
        [
            Timer(id="t", kind=TimerKind.redispatch, due=due),
            Timer(id="u", kind=TimerKind.tally, due=NOW + timedelta(hours=1)),
        ]
    )
    assert await store.next_due() == due
    assert store.next_due_ms() == round(due.timestamp() * 1000)


@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe"]
)
def test_arrivals_follow_each_local_hours_rate_with_the_rates_kept_per_quarter_hour(zone: str) -> None:
    # The runner keeps each channel's rate per quarter of an hour. With its rates forgotten
    # before every draw, each quarter a draw crosses is worked out afresh from the local hour at
    # that draw's own time: the plain rule. Zones half an hour and three quarters off UTC, and
    # two with clock changes (Lord Howe's is half an hour), give the same arrivals either way.
    shape = [3, 2, 2, 1, 1, 2, 3, 4, 6, 7, 7, 7, 7, 7, 7, 8, 9, 10, 11, 11, 10, 8, 6, 4]
    sc = parse_scenario(
        {
            "name": "zones",
            "days": 60,
            "warmup": "0s",
            "seed": 3,
            "timezone": zone,
            "start": "2026-03-20T00:00:00Z",  # across the northern and southern clock changes
            "responders": {"count": 1},
            "arrivals": {"sms": [w * 3 for w in shape]},
            "handle": {"sms": {"kind": "exponential", "mean": "5m"}},
        }
    )
    kept, plain = Simulation(sc), Simulation(sc)
    a: float | None = 0.0
    b: float | None = 0.0
    count = 0
    while a is not None:
        plain._rates.clear()
        a, b = kept._next_arrival("sms", a), plain._next_arrival("sms", b or 0.0)
        assert a == b
        count += 1
    assert len(kept._rates["sms"]) < count  # the kept rates were used again
    assert count > 5_000
