"""The ledger over HTTP: rows and CSV without personal data, the contact view after Redis
forgets, debriefs, the access audit, protocol acknowledgements, lag on /readyz and /metrics."""

from __future__ import annotations

import asyncio
import csv
import io
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from router.api import contacts as contacts_api
from router.clock import VirtualClock
from router.ledger.rows import contact_record
from router.models import Event
from router.store import MemoryStore
from tests.conftest import START
from tests.postgres_server import postgres_server, stop_at_once
from tests.router.api_client import Api, api
from tests.router.test_api import at, people, roster

PHONE = "+15557654321"
BODY = "he took my passport"


@pytest.fixture
async def client() -> AsyncIterator[Api]:
    async with api(MemoryStore("t"), VirtualClock(START)) as a:
        await people(a, "ana", "ben", "sue")
        await roster(a)
        yield a


async def answered_and_closed(client: Api) -> str:
    cid = str(
        (await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": PHONE, "body": BODY}))["id"]
    )
    await client.advance(30, step=10)
    [offer] = [o for o in await client.ok("GET", "/v1/offers") if o["contact_id"] == cid]
    await client.ok("POST", f"/v1/offers/{offer['id']}/accept")
    await client.ok("POST", f"/v1/contacts/{cid}/messages", {"body": "We hear you."})
    await client.ok(
        "POST", f"/v1/contacts/{cid}/close", {"disposition": "support_given", "notes": "very private"}
    )
    return cid


async def test_csv_and_rows_hold_facts_only(client: Api) -> None:
    cid = await answered_and_closed(client)
    waiting = (await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": "visitor-9"}))["id"]
    resp = await client.client.get(
        f"/v1/reports/compliance.csv?from={START.isoformat()}&to={at(60)}",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    body = await resp.text()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["id"] for r in rows] == [cid, waiting]
    assert rows[0]["within_target"] == "true" and rows[0]["time_to_answer_s"] == "30.0"
    for secret in (PHONE, BODY, "We hear you", "very private", "visitor-9"):
        assert secret not in body
    data = await client.ok("GET", f"/v1/reports/contacts?from={START.isoformat()}&to={at(60)}&channel=chat")
    assert data["target_s"] == 1200.0 and [r["id"] for r in data["rows"]] == [waiting]
    assert data["rows"][0]["within_target"] is None  # pending: open and not yet late
    window = f"from={START.isoformat()}&to={at(60)}"
    one = await client.ok("GET", f"/v1/reports/contacts?{window}&contact_id={cid}")
    assert [r["id"] for r in one["rows"]] == [cid]  # the page opens one contact without the rest
    status, err = await client.call("GET", f"/v1/reports/contacts?from={START.isoformat()}&channel=fax")
    assert status == 422 and err["error"]["details"][0]["loc"] == ["query", "channel"]


async def test_contact_view_reads_the_ledger_once_redis_forgets(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = await answered_and_closed(client)
    svc = client.service
    gate = svc.ledger.gate
    assert gate is not None  # the in-memory ledger: a read that skips the gate can meet a write
    readers: list[int] = []

    async def spied(conn: AsyncConnection, contact_id: str, now: datetime) -> dict[str, Any] | None:
        readers.append(gate._readers)  # the history is read inside ledger.reading()
        return await contact_record(conn, contact_id, now)

    monkeypatch.setattr(contacts_api, "contact_record", spied)
    await svc.writer.catch_up()
    await client.clock.advance(timedelta(hours=25).total_seconds())
    assert await svc.bounds.forget(client.clock.now()) == 1
    assert await svc.store.get_contact(cid) is None
    view = await client.ok("GET", f"/v1/contacts/{cid}")
    assert view["source"] == "ledger" and view["status"] == "closed" and view["messages"] == []
    assert readers == [1]
    assert [e["event"] for e in view["timeline"]][:2] == ["received", "offered"]
    assert "closed" in [e["event"] for e in view["timeline"]]
    text = str(view)
    assert PHONE not in text and BODY not in text and "very private" not in text
    ben = (await client.ok("POST", "/v1/tokens", {"role": "responder", "responder": "ben", "person": "Ben"}))[
        "token"
    ]
    assert (await client.call("GET", f"/v1/contacts/{cid}", token=ben))[0] == 403
    assert (await client.call("GET", "/v1/contacts/c_nope"))[0] == 404
    # Reading the history from the ledger is on the access audit too.
    await svc.writer.catch_up()
    until = (client.clock.now() + timedelta(minutes=1)).isoformat().replace("+", "%2B")
    audit = await client.ok("GET", f"/v1/audit?contact_id={cid}&from={START.isoformat()}&to={until}")
    assert "contact.read_history" in [a["action"] for a in audit]


async def test_trim_keeps_what_the_ledger_lacks(client: Api) -> None:
    await answered_and_closed(client)
    svc = client.service
    info = await svc.store.stream_info()
    await client.clock.advance(timedelta(days=8).total_seconds())
    assert await svc.bounds.trim(client.clock.now()) == 0  # nothing filed yet: nothing goes
    await svc.writer.catch_up()
    assert await svc.bounds.trim(client.clock.now()) == info.length
    assert (await svc.store.stream_info()).length == 0


async def test_debriefs_by_supervisor_or_manager(client: Api) -> None:
    sue = (await client.ok("POST", "/v1/tokens", {"role": "responder", "responder": "sue", "person": "Sue"}))[
        "token"
    ]
    ben = (await client.ok("POST", "/v1/tokens", {"role": "responder", "responder": "ben", "person": "Ben"}))[
        "token"
    ]
    meeting = {"kind": "meeting", "at": at(30), "attendees": ["ana", "ben"], "notes": "ana is tired"}
    made = await client.ok("POST", "/v1/debriefs", meeting, token=sue, status=201)
    assert made["recorded_by"] == "sue" and made["has_notes"] is True and "notes" not in made
    status, err = await client.call("POST", "/v1/debriefs", meeting, token=ben)
    assert status == 403
    status, err = await client.call("POST", "/v1/debriefs", {**meeting, "kind": "immediate"})
    assert status == 422 and err["error"]["details"][0]["loc"] == ["contact_ids"]
    status, err = await client.call("POST", "/v1/debriefs", {**meeting, "at": "yesterday"})
    assert status == 422 and "at" in err["error"]["message"]
    listed = await client.ok("GET", f"/v1/debriefs?from={START.isoformat()}&to={at(60)}")
    assert [d["id"] for d in listed] == [made["id"]]
    assert "ana is tired" not in str(listed)


async def test_audit_lists_the_named_person(client: Api) -> None:
    cid = await answered_and_closed(client)
    read = Event(
        at=client.clock.now(), event="audit", actor="Maria Lopez", role="manager", action="contact_read",
        contact_id=cid, detail="GET /v1/contacts", ip="127.0.0.1",
    )  # fmt: skip
    await client.service.store.record([read])
    found = await client.ok("GET", f"/v1/audit?contact_id={cid}&from={START.isoformat()}&to={at(60)}")
    seen = [(a["actor"], a["action"]) for a in found]
    assert ("Maria Lopez", "contact_read") in seen  # filed from the stream like every entry
    assert {"contact.message", "contact.close"} <= {
        action for actor, action in seen if actor != "Maria Lopez"
    }
    mine = await client.ok("GET", f"/v1/audit?actor=Maria%20Lopez&from={START.isoformat()}&to={at(60)}")
    assert [(a["action"], a["contact_id"], a["ip"]) for a in mine] == [("contact_read", cid, "127.0.0.1")]
    assert await client.ok("GET", f"/v1/audit?actor=nobody&from={START.isoformat()}&to={at(60)}") == []
    manager = (await client.ok("POST", "/v1/tokens", {"role": "manager", "person": "Maria Lopez"}))["token"]
    assert (await client.call("GET", "/v1/audit", token=manager))[0] == 403


async def test_protocol_acknowledgement_feeds_standard_28(client: Api) -> None:
    await answered_and_closed(client)
    ana = (await client.ok("POST", "/v1/tokens", {"role": "responder", "responder": "ana", "person": "Ana"}))[
        "token"
    ]
    version = client.service.engine.protocol.version
    status, _ = await client.call("POST", "/v1/protocol/acknowledge", {"version": "old"}, token=ana)
    assert status == 409
    await client.ok("POST", "/v1/protocol/acknowledge", {}, token=ana, status=201)
    report = await client.ok("GET", f"/v1/reports/compliance?from={START.isoformat()}&to={at(60)}")
    s28 = report["standards"]["28"]
    assert s28["rating"] in ("meets", "exceeds")
    assert {"acknowledged_by": ["ana"], "protocol_version": version} in s28["evidence"]


async def test_readyz_reports_a_stalled_writer_and_metrics_the_lag(client: Api) -> None:
    await answered_and_closed(client)
    svc = client.service
    svc.started_at = client.clock.now()
    assert (await client.ok("GET", "/readyz"))["ledger"]["behind"] is True
    await client.clock.advance(svc.settings.ledger_stall_s + 1)
    status, body = await client.call("GET", "/readyz")
    # Said, but still ready: the instance takes contacts whatever the ledger's state.
    assert status == 200 and body["status"] == "ledger_writer_stalled"
    assert await svc.writer.measure_lag() > 0
    metrics = await (await client.client.get("/metrics")).text()
    assert "safetynet_ledger_lag_events" in metrics
    await svc.writer.catch_up()
    body = await client.ok("GET", "/readyz")
    assert body["status"] == "ready" and body["ledger"]["behind"] is False


async def test_with_the_ledger_down_the_instance_stays_ready_and_takes_contacts() -> None:
    """A PostgreSQL ledger stopped under a running instance: /readyz says so with 200 (a
    readiness probe keeps routing to it), and contacts are still taken in and offered; the
    stream keeps their events for the writer."""
    if os.environ.get("SAFETYNET_TEST_POSTGRES_URL"):
        pytest.skip("a server of its own is stopped here, not one given to the session")
    with postgres_server() as url:
        async with api(MemoryStore("t"), VirtualClock(START), ledger_url=url) as client:
            await people(client, "ana")
            await roster(client)
            await client.service.writer.catch_up()
            assert (await client.ok("GET", "/readyz"))["status"] == "ready"
            await stop_postgres(url)
            status, body = await client.call("GET", "/readyz")
            assert status == 200 and body["status"] == "ledger_unreachable"
            taken = await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": PHONE, "body": BODY})
            contact = await client.ok("GET", f"/v1/contacts/{taken['id']}")
            assert contact["status"] == "offered"
            assert any(e.contact_id == taken["id"] for _, e in await client.service.store.read_events())


async def stop_postgres(url: str) -> None:
    """Stop the server behind `url` at once (as a crash would), by its own data directory."""
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        data = (await conn.execute(text("SHOW data_directory"))).scalar_one()
    await engine.dispose()
    await asyncio.to_thread(stop_at_once, data)
