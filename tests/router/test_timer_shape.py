"""How a timer is stored: `then` and `reason` only when they say something, so that every other
timer is written exactly as before either field existed (router/timer_models.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from router.timer_models import Rung, Timer, TimerKind

DUE = datetime(2026, 3, 2, 9, 20, tzinfo=UTC)


def test_a_plain_timer_is_stored_without_then_or_reason() -> None:
    timer = Timer(id="breach:c_1", kind=TimerKind.breach, due=DUE, contact_id="c_1")
    stored = json.loads(timer.model_dump_json())
    assert stored == {
        "id": "breach:c_1",
        "kind": "breach",
        "due": "2026-03-02T09:20:00Z",
        "contact_id": "c_1",
        "offer_id": None,
        "step": None,
        "notify": [],
        "via": [],
        "partner": None,
    }
    assert "then" not in timer.model_dump() and "reason" not in timer.model_dump()
    assert Timer.model_validate_json(timer.model_dump_json()) == timer


def test_then_and_reason_are_stored_when_given_and_read_back() -> None:
    timer = Timer(
        id="esc:c_1:0",
        kind=TimerKind.escalate,
        due=DUE,
        contact_id="c_1",
        step=0,
        then=[Rung(step=1, after=timedelta(minutes=10), notify=["backup"])],
        reason="escalation",
    )
    stored = json.loads(timer.model_dump_json())
    assert stored["then"] == [{"step": 1, "after": "PT10M", "notify": ["backup"], "via": [], "partner": None}]
    assert stored["reason"] == "escalation"
    assert Timer.model_validate_json(timer.model_dump_json()) == timer
    assert timer.model_dump()["then"][0]["step"] == 1
