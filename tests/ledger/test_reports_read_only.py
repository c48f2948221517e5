"""Reports only read the ledger: the writer files and the report waits for it (or says how far
it got); the manager's page's reports and a CSV export at once give no 500 on the in-memory
ledger; the export is on the access audit; breaches and evidence come a page at a time; days
come aggregated; Standard 31 names each debrief offer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from router.clock import VirtualClock
from router.ledger import Ledger, reach
from router.ledger.records import add_debrief
from router.ledger.schema import contacts
from router.ledger.writer import read_cursor
from router.models import ContactIn
from router.reports import compliance
from router.store import MemoryStore
from tests.conftest import START
from tests.ledger.helpers import a_day
from tests.ledger.test_api_ledger import answered_and_closed
from tests.router.api_client import Api, api
from tests.router.helpers import advance
from tests.router.test_api import at, people, roster

WINDOW = f"from={START.isoformat()}&to={at(120)}".replace("+", "%2B")


@pytest.fixture
async def client() -> AsyncIterator[Api]:
    async with api(MemoryStore("t"), VirtualClock(START)) as a:
        await people(a, "ana", "ben", "sue")
        await roster(a)
        yield a


async def test_page_reports_and_export_at_once_never_500_and_the_export_is_audited(client: Api) -> None:
    assert client.service.ledger.gate is not None  # the in-memory ledger of the failing page
    await answered_and_closed(client)
    mia = (await client.ok("POST", "/v1/tokens", {"role": "manager", "person": "Mia Manager"}))["token"]
    paths = [
        f"/v1/reports/compliance?{WINDOW}",
        f"/v1/reports/compliance?{WINDOW}&channel=sms",
        f"/v1/reports/daily?{WINDOW}",
        f"/v1/reports/contacts?{WINDOW}",
        f"/v1/reports/compliance.csv?{WINDOW}",
    ]
    # Each round files new events (a contact, the exports' audit entries) while reports read:
    # without the gate a few of these 120 requests fail with "database table is locked".
    for i in range(10):
        await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": f"visitor-{i}"})
        found = await asyncio.gather(*(client.call("GET", p, token=mia) for p in paths * 3))
        assert [status for status, _ in found] == [200] * len(paths) * 3, found
    audit = await client.ok("GET", f"/v1/audit?actor=Mia%20Manager&{WINDOW}")
    exports = [a for a in audit if a["action"] == "report.export"]
    assert len(exports) == 30 and exports[0]["role"] == "manager" and exports[0]["detail"].startswith("csv ")


async def test_a_report_never_files_and_says_how_far_the_ledger_is(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await answered_and_closed(client)
    svc = client.service
    await svc.writer.catch_up()
    await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": "visitor-1"})
    # A writer loop runs (elsewhere) but is stuck: the report waits briefly, files nothing itself.
    monkeypatch.setattr(reach, "WAIT_S", 0.2)
    svc.writer.running = True
    async with svc.ledger.reading() as conn:
        before = await read_cursor(conn)
    days = await client.ok("GET", f"/v1/reports/daily?{WINDOW}")
    async with svc.ledger.reading() as conn:
        assert await read_cursor(conn) == before
    assert days["filed_through"]["stream_id"] == before[0] if before else False
    assert days["filed_through"]["lag"] > 0 and sum(d["contacts"] for d in days["days"]) == 1
    report = await client.ok("GET", f"/v1/reports/compliance?{WINDOW}")  # says the lag the wait ended with
    assert report["filed_through"]["lag"] > 0 and report["contacts"] == 1
    # The loop files: the next report counts the new contact and has no lag.
    await svc.writer.catch_up()
    days = await client.ok("GET", f"/v1/reports/daily?{WINDOW}")
    assert days["filed_through"]["lag"] == 0 and sum(d["contacts"] for d in days["days"]) == 2
    report = await client.ok("GET", f"/v1/reports/compliance?{WINDOW}")
    assert report["filed_through"]["lag"] == 0 and report["contacts"] == 2


async def test_breaches_and_evidence_come_a_page_at_a_time(client: Api) -> None:
    ids = [
        (await client.ok("POST", "/v1/contacts", {"channel": ch, "from": f"p-{ch}"}))["id"]
        for ch in ("chat", "email")
    ]
    await client.advance(21 * 60, step=30)
    first = await client.ok("GET", f"/v1/reports/breaches?{WINDOW}&limit=1")
    assert first["total"] == 2 and len(first["items"]) == 1 and first["next"]
    second = await client.ok("GET", f"/v1/reports/breaches?{WINDOW}&limit=1&after={first['next']}")
    assert len(second["items"]) == 1 and second["next"] is None  # same arrival time: id order
    assert {b["contact_id"] for b in first["items"] + second["items"]} == set(ids)
    late = await client.ok("GET", f"/v1/reports/evidence?{WINDOW}&standard=29&limit=1")
    assert late["total"] == 2 and late["items"] == [{"contact_id": first["items"][0]["contact_id"]}]
    report = await client.ok("GET", f"/v1/reports/compliance?{WINDOW}")
    assert report["breaches_total"] == 2 and report["breaches_next"] is None
    assert [d["contacts"] for d in report["daily"]] == [2] and report["daily"][0]["breached"] == 2
    for query, loc in (
        ("standard=29&limit=0", "limit"),
        ("standard=29&after=x", "after"),
        ("standard=32", "standard"),
    ):
        status, err = await client.call("GET", f"/v1/reports/evidence?{WINDOW}&{query}")
        assert status == 422 and err["error"]["details"][0]["loc"] == ["query", loc], err


async def test_31_names_each_debrief_offer_and_each_stressful_contact_without_one(ledger: Ledger) -> None:
    day = await a_day(ledger)
    engine, clock = day.engine, day.clock
    flagged = {
        "channel": "sms",
        "from": "+15550005555",
        "body": "they took my passport",
        "flags": ["trafficking"],
    }
    hard = await engine.intake(ContactIn.model_validate(flagged))
    for _ in range(120):  # responders finish their wrap-up first
        found = [o for o in await engine.offers_for(None, None) if o.contact_id == hard.id]
        if found:
            break
        await advance(engine, clock, 5, step=5)
    [offer] = found
    await engine.accept(offer.id, offer.responder)
    await engine.send_message(hard.id, "You are safe to talk here.", offer.responder)
    await engine.close(hard.id, "support_given", None, offer.responder)
    await day.writer.catch_up()
    p, now = engine.protocol, clock.now()
    window = (day.start, day.start + timedelta(hours=3))
    meeting = {
        "id": "d1", "kind": "meeting", "at": day.start + timedelta(minutes=5), "attendees": ["ana"],
        "contact_ids": [], "has_notes": False, "recorded_by": "sue", "recorded_at": day.start,
    }  # fmt: skip
    await add_debrief(ledger, meeting)
    s31 = (await compliance(ledger, *window, now, p, None))["standards"]["31"]
    offered = [e for e in s31["evidence"] if e.get("debrief_offered")]
    assert [(e["contact_id"], e["responder"]) for e in offered] == [(hard.id, offer.responder)]
    assert s31["rating"] == "exceeds", s31
    # A stressful contact with no offer recorded (and no immediate debrief) is named; only "meets".
    async with ledger.writing() as conn:
        await conn.execute(
            contacts.insert().values(
                id="c_unoffered", kind="contact", channel="voice",
                received_at=day.start + timedelta(minutes=1),
                outcome="closed", ended_at=now, disposition="support_given", flags=["trafficking"],
                protocol_version=p.version,
            )
        )  # fmt: skip
        assert (await conn.execute(select(func.count()).select_from(contacts))).scalar()
    s31 = (await compliance(ledger, *window, now, p, None))["standards"]["31"]
    assert (
        s31["rating"] == "meets"
        and {"contact_id": "c_unoffered", "immediate_debrief": False} in s31["evidence"]
    )
