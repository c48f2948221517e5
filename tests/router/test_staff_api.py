"""Staff endpoints: break, responder state, supervisor reassign, the partner directory, feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from router import feedback
from router.clock import VirtualClock
from router.store import Store
from tests.router.api_client import Api, api
from tests.router.test_api import T0, at, people, roster


@pytest.fixture
async def client(store: Store, clock: VirtualClock) -> AsyncIterator[Api]:
    async with api(store, clock) as a:
        yield a


async def token(a: Api, rid: str) -> str:
    return str(
        (await a.ok("POST", "/v1/tokens", {"role": "responder", "person": rid, "responder": rid}))["token"]
    )


async def test_break_and_state(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ana, ben = await token(client, "ana"), await token(client, "ben")
    status, body = await client.call("POST", "/v1/responders/ana/break", {"minutes": 500}, token=ana)
    assert status == 422 and body["error"]["details"][0]["loc"] == ["minutes"]
    status, _ = await client.call("POST", "/v1/responders/ana/break", {"minutes": 5}, token=ben)
    assert status == 403
    took = await client.ok("POST", "/v1/responders/ana/break", {"minutes": 5}, token=ana)
    assert took["break_until"] == at(5)
    state = await client.ok("GET", "/v1/responders/ana/state", token=ana)
    assert state == {"id": "ana", "presence": "away", "wrap_up_until": None, "break_until": at(5)}
    one = await client.ok("GET", "/v1/responders/ana", token=ana)
    assert one["break_until"] == at(5) and one["wrap_up_until"] is None
    listed = {r["id"]: r for r in await client.ok("GET", "/v1/responders")}
    assert listed["ana"]["break_until"] == at(5) and listed["ben"]["break_until"] is None
    await client.advance(300, step=60)
    assert (await client.ok("GET", "/v1/responders/ana/state"))["presence"] == "available"


async def test_wrap_up_is_shown_after_a_close(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ana = await token(client, "ana")
    cid = (await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": "v-1"}))["id"]
    [offer] = await client.ok("GET", "/v1/offers?responder=ana")
    await client.ok("POST", f"/v1/offers/{offer['id']}/accept", token=ana)
    await client.ok("POST", f"/v1/contacts/{cid}/messages", {"body": "hello"}, token=ana)
    await client.ok("POST", f"/v1/contacts/{cid}/close", {"disposition": "support_given"}, token=ana)
    assert (await client.ok("GET", "/v1/responders/ana", token=ana))["wrap_up_until"] == at(2)


async def test_only_the_supervisor_on_call_or_a_manager_reassigns(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ana, sue = await token(client, "ana"), await token(client, "sue")
    cid = (await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": "v-1"}))["id"]
    status, _ = await client.call("POST", f"/v1/contacts/{cid}/reassign", {"responder": "ben"}, token=ana)
    assert status == 403
    status, body = await client.call("POST", f"/v1/contacts/{cid}/reassign", {}, token=sue)
    assert status == 422 and body["error"]["details"][0]["loc"] == ["responder"]
    status, _ = await client.call("POST", f"/v1/contacts/{cid}/reassign", {"responder": "nobody"}, token=sue)
    assert status == 404
    moved = await client.ok("POST", f"/v1/contacts/{cid}/reassign", {"responder": "ben"}, token=sue)
    assert moved["status"] == "offered"
    assert [o["responder"] for o in await client.ok("GET", "/v1/offers")] == ["ben"]
    c = await client.ok("GET", f"/v1/contacts/{cid}")
    assert c["timeline"][-1]["event"] == "reassigned" and c["timeline"][-1]["by"] == "sue"


async def test_partner_directory_and_stale_entries(client: Api) -> None:
    await people(client, "ana")
    ana = await token(client, "ana")
    listed = await client.ok("GET", "/v1/partners", token=ana)
    assert [p["id"] for p in listed] == ["nhth", "ndvh", "lifeline-988"]
    assert listed[0]["last_verified"] == "2026-01-15" and listed[0]["review_due"] == "2026-07-14"
    assert [p["id"] for p in await client.ok("GET", "/v1/partners?service=shelter", token=ana)] == [
        "nhth",
        "ndvh",
    ]
    status, _ = await client.call("GET", "/v1/partners/stale", token=ana)
    assert status == 403
    assert (await client.ok("GET", "/v1/partners/stale"))["stale"] == []
    # T0 is 2026-03-02: 180 days after the last check the whole directory is due for review
    await client.clock.advance(134 * 86400)
    stale = await client.ok("GET", "/v1/partners/stale")
    assert stale["today"] == "2026-07-14" and len(stale["stale"]) == 3


async def test_feedback_report_counts_by_day(client: Api) -> None:
    p = client.service.engine.protocol
    await feedback.count(client.service.store, p, "5", client.clock.now())
    await feedback.count(client.service.store, p, "5", client.clock.now())
    await feedback.count(client.service.store, p, "3", client.clock.now())
    report = await client.ok("GET", f"/v1/reports/feedback?from={T0}&to={at(60)}")
    assert report["answers"] == 3 and report["total"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 2}
    # 09:00 UTC is 04:00 in New York: still 2026-03-02 there
    assert list(report["by_day"]) == ["2026-03-02"]
    status, _ = await client.call("GET", f"/v1/reports/feedback?from={at(60)}&to={T0}")
    assert status == 422
    assert (await client.ok("GET", f"/v1/reports/feedback?from={at(1500)}&to={at(3000)}"))["answers"] == 0
