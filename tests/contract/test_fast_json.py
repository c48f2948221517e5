"""The store writes its records' JSON with orjson (router/store/fastjson.py): byte for byte what
pydantic writes, on every record a simulated busy hotline makes and on the awkward values, and
pydantic's own JSON for whatever orjson would write differently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from router.models import Contact, Event, Offer
from router.store import fastjson
from router.store.records import _PERSONAL_ORDER, PERSONAL
from router.store.shapes import Transition
from router.timer_models import Rung, Timer, TimerKind
from simulations.bench.sim_speed import busy_hotline
from simulations.runner import Simulation, quiet_router_logs
from tests.contract.test_store_contract import contact

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def check(record: Contact | Event | Offer | Timer) -> None:
    if isinstance(record, Contact):
        assert fastjson.facts(record, _PERSONAL_ORDER) == record.model_dump_json(exclude=PERSONAL)
    elif isinstance(record, Timer):
        assert fastjson.timer(record) == record.model_dump_json()
    else:
        assert fastjson.flat(record) == record.model_dump_json()


async def test_every_record_a_simulated_busy_hotline_writes_is_written_as_pydantic_writes_it() -> None:
    sim = Simulation(busy_hotline(300))
    written: list[Transition] = []
    apply = sim.store.apply

    async def keep(t: Transition) -> Contact:
        written.append(t)
        return await apply(t)

    sim.store.apply = keep  # type: ignore[method-assign]
    with quiet_router_logs():
        await sim.run()
    kinds: set[str] = set()
    for t in written:
        records: list[Contact | Event | Offer | Timer] = [t.contact, *t.offers, *t.arm, *t.events]
        for record in records:
            check(record)
            kinds.add(type(record).__name__)
        kinds.update(f"event:{e.event}" for e in t.events)
    # The run made every kind of record, the events of a contact's whole life among them.
    assert {"Contact", "Offer", "Timer", "Event"} <= kinds
    assert {"event:received", "event:offered", "event:accepted", "event:closed", "event:escalated"} <= kinds
    assert len(written) > 1_000


AWKWARD: list[Any] = [
    datetime(2026, 3, 2, 9, 0, 0, 120_000, tzinfo=UTC),
    datetime(2026, 7, 2, 9, 0, tzinfo=ZoneInfo("Europe/London")),  # +01:00
    datetime(2026, 1, 2, 9, 0, tzinfo=ZoneInfo("Europe/London")),  # a zero offset: Z
    datetime(2026, 7, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    1e20,
    -0.0,
    float("inf"),
    'é \u0001 \u2028 "quoted" \\',
    ["a", 1, None, True, {"nested": [1.5]}],
    ("a", "tuple"),
]
# What orjson would not write as pydantic does: pydantic writes them.
FALLBACK: list[Any] = [
    2**70,
    timedelta(minutes=5),
    {1: "an int key"},
    Rung(step=1, after=timedelta(minutes=5)),
]


@pytest.mark.parametrize("value", AWKWARD + FALLBACK, ids=repr)
def test_an_awkward_value_in_an_extra_is_written_as_pydantic_writes_it(value: Any) -> None:
    check(Event(at=NOW, event="noted", contact_id="c", status="queued", value=value))
    check(contact("a", timeline=[{"at": NOW, "event": "noted", "value": value}]))


def test_timers_leave_out_what_their_fields_leave_out() -> None:
    base = Timer(id="esc:c:0", kind=TimerKind.escalate, due=NOW, contact_id="c", step=0)
    check(base)
    check(base.model_copy(update={"reason": "escalation"}))
    then = [Rung(step=1, after=timedelta(minutes=5), notify=["backup"])]
    check(base.model_copy(update={"then": then}))  # nested models: pydantic's own JSON
    assert '"then"' not in fastjson.timer(base) and '"reason"' not in fastjson.timer(base)


def test_a_contact_with_declines_offers_and_an_outcome_and_an_offer_resolved() -> None:
    c = contact("a", declined={"r1": NOW}, offer_ids=["o1", "o2"], outcome={"referral": "shelter"})
    check(c)
    check(
        Offer(
            id="o1",
            contact_id="a",
            responder="r1",
            channel="sms",
            priority=c.priority,
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=2),
            resolved_at=NOW,
        )
    )
