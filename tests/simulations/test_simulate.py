"""Runs on the real engine: seeds, responder behaviour, rosters with gaps, escalation, figures."""

from __future__ import annotations

from typing import Any

import pytest

from simulations import Simulation, parse_scenario, quiet_router_logs, results
from tests.simulations.collections import collections_seen


async def run(data: dict[str, Any], **kw: Any) -> tuple[Simulation, dict[str, Any]]:
    base: dict[str, Any] = {"warmup": "0s", "days": 1, "drain": "2h"}
    sc = parse_scenario({**base, **data})
    with quiet_router_logs():
        sim = await Simulation(sc, **kw).run()
    return sim, await results(sim)


SMALL = {
    "responders": {"count": 2, "channels": ["voice", "sms"], "capacity": {"voice": 1, "sms": 2}},
    "arrivals": {"voice": 3, "sms": 2},
    "handle": {
        "voice": {"kind": "exponential", "mean": "10m"},
        "sms": {"kind": "lognormal", "mean": "15m", "sd": "5m"},
    },
    "behaviour": {"react": {"kind": "exponential", "mean": "20s"}, "accept": 0.8, "no_answer": 0.1},
}


async def test_one_seed_one_result_another_seed_another() -> None:
    _, a = await run(SMALL, seed=3)
    _, b = await run(SMALL, seed=3)
    _, c = await run(SMALL, seed=4)
    assert a == b
    assert a["compliance"]["breaches"] == b["compliance"]["breaches"]
    assert a["time_to_answer_s"] != c["time_to_answer_s"]


async def test_the_report_has_the_production_shape() -> None:
    _, r = await run(SMALL)
    report = r["compliance"]
    for key in (
        "from",
        "to",
        "target_s",
        "contacts",
        "answered",
        "answered_within_target",
        "within_target_pct",
    ):
        assert key in report
    assert {"p50", "p90", "p99", "max"} <= set(report["time_to_answer_s"])
    assert set(report["by_channel"]) == {"voice", "sms"}
    assert report["coverage"]["rating"] in ("meets", "exceeds")
    assert r["contacts"]["received"] == report["contacts"] > 0
    assert r["offers"]["declined"] > 0 and r["offers"]["expired"] > 0  # accept 0.8, no_answer 0.1
    assert "theory" not in r  # two channels, slow responders: not an M/M/c queue


# The second: more breaches than the report lists on its first page (50), all counted.
@pytest.mark.parametrize(("per_hour", "days", "least"), [(4, 0.1, 3), (120, 0.6, 51)])
async def test_phones_that_never_answer_breach_every_contact(per_hour: int, days: float, least: int) -> None:
    _, r = await run(
        {
            "responders": {"count": 1, "channels": ["voice"]},
            "arrivals": {"voice": per_hour},
            "handle": {"voice": "5m"},
            "behaviour": {"no_answer": 1.0},
            "protocol": {"response_target": "5m", "offer_timeout": "30s"},
            "days": days,
            "drain": "10m",
            "seed": 2,
        }
    )
    n = r["contacts"]["received"]
    assert n >= least
    assert r["contacts"]["answered"] == 0
    assert r["breaches"] == n == r["contacts"]["unanswered_at_end"]
    # Every offer rang out, but the one still ringing when the run stopped.
    assert r["offers"]["made"] - 1 <= r["offers"]["expired"] <= r["offers"]["made"]
    assert r["offers"]["made"] > n
    assert r["within_target_pct"] == 0.0
    assert r["pages"] >= n  # every breach pages whoever is on call


async def test_people_give_up_when_nobody_is_on_call() -> None:
    """A roster that covers only the afternoon: the morning's callers hang up."""
    sim, r = await run(
        {
            "responders": {"channels": ["voice"]},
            "roster": {"weekly": [{"start": "12:00", "end": "18:00", "responders": ["ana"]}]},
            "arrivals": {"voice": 2},
            "handle": {"voice": "2m"},
            "patience": {"voice": "10m"},
        }
    )
    # Contacts the simulation made (the engine adds callbacks for those who hung up).
    morning = [
        rec
        for rec in sim.tally.window(sim.w0, sim.w1)
        if rec.received_at.hour < 11 and "callback" not in rec.flags
    ]
    assert morning and all(rec.abandoned_s == pytest.approx(600, abs=0.01) for rec in morning)
    assert r["contacts"]["abandoned"] >= len(morning)
    assert r["p_wait_over_s"]["300"] > 0.4
    assert r["compliance"]["coverage"]["rating"] == "does_not_meet"
    assert r["utilisation"]["by_responder"]["ana"]["on_call_h"] == 6.0


async def test_the_backup_gets_the_offer_when_the_ladder_widens() -> None:
    """The primary is on a long call; the default protocol widens to the backup at 5 minutes."""
    sim, _ = await run(
        {
            "responders": {"channels": ["voice"]},
            "roster": {"weekly": [{"responders": ["pat"]}, {"role": "backup", "responders": ["bo"]}]},
            "arrivals": {"voice": 1.5},
            "handle": {"voice": "50m"},
            "days": 0.5,
        }
    )
    events = [e for _, e in await sim.store.read_events("0", 1_000_000)]
    widened = {
        e.contact_id: e.at
        for e in events
        if e.event == "escalated" and "backup" in (e.model_extra or {})["notify"]
    }
    by_backup = [e for e in events if e.event == "accepted" and (e.model_extra or {})["responder"] == "bo"]
    assert by_backup
    assert all(e.contact_id in widened and widened[e.contact_id] <= e.at for e in by_backup)
    first_step = sim.scenario.protocol.escalation[0].after.total_seconds()
    assert all((e.model_extra or {})["time_to_accept_s"] >= first_step for e in by_backup)


async def test_text_is_answered_by_the_first_reply() -> None:
    sim, r = await run(
        {
            "responders": {"count": 1, "channels": ["sms"], "capacity": {"sms": 3}},
            "arrivals": {"sms": 4},
            "handle": {"sms": {"kind": "exponential", "mean": "20m"}},
            "days": 0.25,
        }
    )
    events = [e for _, e in await sim.store.read_events("0", 1_000_000)]
    answers = [e for e in events if e.event == "answered"]
    assert answers and all((e.model_extra or {})["via"] == "first_reply" for e in answers)
    assert r["theory"]["servers"] == 3  # one responder, three conversations at once


async def test_utilisation_matches_the_offered_load() -> None:
    """One responder, 2 an hour, 15 minutes each: busy half the time."""
    _, r = await run(
        {
            "responders": {"count": 1, "channels": ["voice"]},
            "arrivals": {"voice": 2},
            "handle": {"voice": "15m"},
            "days": 6,
            "seed": 9,
        }
    )
    u = r["utilisation"]
    assert u["overall_pct"] == pytest.approx(50, abs=6)
    assert len(u["by_hour_of_week"]) == 168 and len(u["by_hour_of_day"]) == 24
    assert u["by_responder"]["r1"]["on_call_h"] == 144.0


async def test_progress_is_reported() -> None:
    seen: list[tuple[float, int]] = []
    await run({**SMALL, "days": 3}, progress=lambda done, n: seen.append((done, n)))
    assert seen and all(0 <= d <= 1 for d, _ in seen)
    assert [n for _, n in seen] == sorted(n for _, n in seen)


async def test_filing_the_report_sets_off_no_collection() -> None:
    """The ledger is filed beside the run's whole store, which any collection would walk: the
    collector is paused while the report is made (runner.collector_paused)."""
    sc = parse_scenario({"warmup": "0s", "days": 3, "drain": "2h", **SMALL})
    with quiet_router_logs():
        sim = await Simulation(sc, seed=5).run()
    with collections_seen() as collections:
        report = await results(sim)
    assert report["compliance"]["contacts"] > 300
    # At most the one young collection the allocations made meanwhile set off once it is over.
    assert len(collections) <= 1 and 2 not in collections
