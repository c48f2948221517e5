"""Standard 30's filing deadline (`mandated_reporting.deadline`), on SQLite and on PostgreSQL,
on the virtual clock: a contact flagged minor closed with its report within the deadline
meets; closed after it, or still open past it, does not; still open within it is pending,
neither. The protocol in force when the report is made decides the deadline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from protocols import Protocol, ProtocolError, default_protocol, parse_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.ledger import Ledger
from router.ledger.evidence import evidence_page
from router.ledger.rated import EVIDENCE_MAX
from router.ledger.schema import contacts
from router.ledger.standard30 import s30
from router.ledger.tally import window_of
from router.ledger.writer import Writer
from router.notify import LogNotifier
from router.reports import compliance
from router.store import MemoryStore
from tests.conftest import counter_ids
from tests.ledger.helpers import DAYTIME
from tests.router.helpers import advance, sms, staff

HOUR = 3600
REPORT = {"what": "child at risk", "to": "county DSS", "when": "2026-03-02T15:00", "client_informed": True}


@dataclass
class Desk:
    """The engine on the virtual clock, with its ledger writer and who took each contact."""

    engine: Engine
    clock: VirtualClock
    writer: Writer
    taken_by: dict[str, str] = field(default_factory=dict)


async def a_desk(ledger: Ledger) -> Desk:
    clock = VirtualClock(DAYTIME)
    store = MemoryStore("t")
    engine = Engine(store, clock, default_protocol(), notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana", "bea", "cal"], ["ben"], ["sue"], languages=["en", "es"])
    return Desk(engine, clock, Writer(store, ledger, clock))


async def a_minor(desk: Desk, sender: str) -> str:
    """A contact flagged minor, offered, accepted and answered: open, a responder on it."""
    contact = await desk.engine.intake(sms("I am a minor and scared", sender))
    for _ in range(60):
        await advance(desk.engine, desk.clock, 5, step=5)
        found = [o for o in await desk.engine.offers_for(None, None) if o.contact_id == contact.id]
        if found:
            await desk.engine.accept(found[0].id, found[0].responder)
            desk.taken_by[contact.id] = found[0].responder
            await desk.engine.send_message(contact.id, "Thank you for telling us.", found[0].responder)
            return contact.id
    raise AssertionError(f"{contact.id} was never offered")


async def close_with_report(desk: Desk, cid: str) -> None:
    responder = desk.taken_by[cid]
    await desk.engine.close(cid, "support_given", None, responder, {"mandated_report": REPORT})


async def later(desk: Desk, hours: float) -> None:
    await advance(desk.engine, desk.clock, hours * HOUR, step=HOUR / 2)


async def rating(desk: Desk, ledger: Ledger, p: Protocol | None = None) -> dict[str, Any]:
    """Standard 30 in the report made now, over the hours the contacts arrived in."""
    await desk.writer.catch_up()
    end = DAYTIME + timedelta(hours=2)
    found = await compliance(ledger, DAYTIME, end, desk.clock.now(), p or desk.engine.protocol, None)
    result: dict[str, Any] = found["standards"]["30"]
    return result


def with_deadline(text: str) -> Protocol:
    return parse_protocol(f"mandated_reporting:\n  deadline: {text}\n")


async def test_closed_within_the_deadline_meets(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    cid = await a_minor(desk, "+15550003333")
    await later(desk, 1)
    await close_with_report(desk, cid)
    s = await rating(desk, ledger)
    assert s["rating"] == "exceeds", s
    assert "within the 1 day deadline" in s["reason"]
    [item] = s["evidence"]
    assert item["contact_id"] == cid and item["agency"] == "county DSS"
    assert 1.0 <= item["hours"] < 1.1


async def test_closed_after_the_deadline_does_not_meet(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    on_time = await a_minor(desk, "+15550003333")
    late = await a_minor(desk, "+15550004444")
    await close_with_report(desk, on_time)
    await later(desk, 25)
    await close_with_report(desk, late)
    s = await rating(desk, ledger)
    assert s["rating"] == "does_not_meet", s
    assert s["reason"] == "1 of 2 flagged contacts closed after the 1 day deadline"
    [item] = s["evidence"]
    assert item["contact_id"] == late and item["closed"] is not None
    assert item["received"] < item["closed"] and 25.0 <= item["hours"] < 25.1


async def test_open_past_the_deadline_is_overdue(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    on_time = await a_minor(desk, "+15550003333")
    forgotten = await a_minor(desk, "+15550004444")
    await close_with_report(desk, on_time)
    await later(desk, 25)
    s = await rating(desk, ledger)
    assert s["rating"] == "does_not_meet", s
    assert s["reason"] == "1 flagged contact still open past the 1 day deadline (overdue)"
    [item] = s["evidence"]
    assert item["contact_id"] == forgotten and item["closed"] is None and 25.0 <= item["hours"] < 25.1


async def test_open_within_the_deadline_is_pending_then_overdue(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    waiting = await a_minor(desk, "+15550003333")
    await later(desk, 1)
    alone = await rating(desk, ledger)
    assert alone["rating"] == "not_rated" and "pending" in alone["reason"], alone
    assert alone["evidence"] == []
    done = await a_minor(desk, "+15550004444")
    await close_with_report(desk, done)
    beside = await rating(desk, ledger)
    assert beside["rating"] == "exceeds" and "1 flagged contact still open" in beside["reason"], beside
    assert [e["contact_id"] for e in beside["evidence"]] == [done]
    await later(desk, 24)
    overdue = await rating(desk, ledger)
    assert overdue["rating"] == "does_not_meet", overdue
    assert [e["contact_id"] for e in overdue["evidence"]] == [waiting]


async def test_changing_the_deadline_changes_the_rating(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    cid = await a_minor(desk, "+15550003333")
    await later(desk, 30)
    await close_with_report(desk, cid)
    day, two_days = with_deadline("24h"), with_deadline("48h")
    assert day.mandated_reporting.deadline == timedelta(hours=24) and day.version != two_days.version
    assert (await rating(desk, ledger, day))["rating"] == "does_not_meet"
    relaxed = await rating(desk, ledger, two_days)
    assert relaxed["rating"] == "exceeds" and "within the 2 days deadline" in relaxed["reason"]
    assert (await rating(desk, ledger, with_deadline("12h")))["rating"] == "does_not_meet"


@pytest.mark.parametrize("text", ["0s", "0"])
def test_a_deadline_must_be_longer_than_nothing(text: str) -> None:
    with pytest.raises(ProtocolError, match=r"mandated_reporting\.deadline: must be longer than 0s"):
        with_deadline(text)
    assert default_protocol().mandated_reporting.deadline == timedelta(hours=24)


async def test_late_evidence_is_capped_with_a_count_of_the_rest(ledger: Ledger) -> None:
    """A year with many late reports lists the first EVIDENCE_MAX, then how many more."""
    n = EVIDENCE_MAX + 7
    rows = [
        {
            "id": f"c_{i:04d}",
            "kind": "contact",
            "channel": "sms",
            "flags": ["minor"],
            "received_at": DAYTIME + timedelta(minutes=i),
            "closed_at": DAYTIME + timedelta(minutes=i, hours=30),
            "outcome": "closed",
            "disposition": "support_given",
            "report_agency": "county DSS",
            "reported_at": "2026-03-02T15:00",
            "client_informed": "yes",
        }
        for i in range(n)
    ]
    async with ledger.engine.begin() as conn:
        await conn.execute(insert(contacts), rows)
    now = DAYTIME + timedelta(days=3)
    async with ledger.engine.connect() as conn:
        s = await s30(conn, window_of(DAYTIME, now, None), default_protocol(), now)
    assert s["rating"] == "does_not_meet"
    assert s["reason"] == f"{n} of {n} flagged contacts closed after the 1 day deadline"
    assert len(s["evidence"]) == EVIDENCE_MAX + 1 and s["evidence"][-1] == {"more": 7}
    assert [e["contact_id"] for e in s["evidence"][:2]] == ["c_0000", "c_0001"]


async def test_the_evidence_pages_mark_late_and_overdue_contacts(ledger: Ledger) -> None:
    desk = await a_desk(ledger)
    on_time = await a_minor(desk, "+15550003333")
    late = await a_minor(desk, "+15550004444")
    forgotten = await a_minor(desk, "+15550005555")
    await close_with_report(desk, on_time)
    await later(desk, 25)
    await close_with_report(desk, late)
    await desk.writer.catch_up()
    end = DAYTIME + timedelta(hours=2)
    items: dict[str, dict[str, Any]] = {}
    after = None
    while True:  # one a page: the pages together name each flagged contact once
        async with ledger.reading() as conn:
            found = await evidence_page(
                conn, "30", DAYTIME, end, desk.clock.now(), desk.engine.protocol, None, 1, after
            )
        items.update({i["contact_id"]: i for i in found.items})
        if found.next is None:
            break
        after = found.next
    assert set(items) == {on_time, late, forgotten}
    assert not items[on_time]["late"] and not items[on_time]["overdue"] and items[on_time]["agency"]
    assert items[late]["late"] and not items[late]["overdue"] and 25.0 <= items[late]["hours"] < 25.1
    assert items[forgotten]["overdue"] and items[forgotten]["closed"] is None
