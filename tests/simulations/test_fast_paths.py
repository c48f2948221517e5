"""What makes the simulator cheap must not change what it finds, nor leak out of the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from router import engine as engine_module
from router.metrics import UnrecordedMetrics
from router.models import Contact, ContactStatus, Offer
from router.transitions import evolve
from simulations import Simulation, parse_scenario, quiet_router_logs

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
