"""The HTTP contract of shared/API.md, through the real app, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from router.clock import VirtualClock
from router.store import Store
from tests.conftest import START
from tests.router.api_client import Api, api

T0 = START.isoformat()


def at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
async def client(store: Store, clock: VirtualClock) -> AsyncIterator[Api]:
    async with api(store, clock) as a:
        yield a


async def roster(a: Api, primary: str = "ana", backup: str | None = "ben", hours: float = 24) -> None:
    shifts = [{"responder": primary, "role": "primary", "start": T0, "end": at(hours * 60)}]
    if backup:
        shifts.append({"responder": backup, "role": "backup", "start": T0, "end": at(hours * 60)})
    shifts.append({"responder": "sue", "role": "supervisor", "start": T0, "end": at(hours * 60)})
    await a.ok(
        "PUT",
        f"/v1/rosters/main?from={T0}&to={at(hours * 60)}",
        {"timezone": "America/New_York", "shifts": shifts},
    )
    await a.ok("POST", "/v1/rosters/main/publish", {"from": T0, "to": at(hours * 60)})


async def people(a: Api, *ids: str) -> None:
    for rid in ids:
        await a.ok(
            "PUT",
            f"/v1/responders/{rid}",
            {"name": rid.title(), "phone": "+15550009999", "languages": ["en", "es"]},
        )


async def test_auth_missing_bad_and_wrong_role(client: Api) -> None:
    status, body = await client.call("GET", "/v1/queue", token="")
    client.token = ""
    status, body = await client.call("GET", "/v1/queue")
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    client.token = "nonsense"
    status, _ = await client.call("GET", "/v1/queue")
    assert status == 401
    client.token = "admin-token-for-tests"
    _, tok = await client.call("POST", "/v1/tokens", {"role": "scheduler", "person": "sam"})
    status, body = await client.call("GET", "/v1/reports/compliance", token=tok["token"])
    assert status == 403 and set(body["error"]) == {"code", "message", "details"}
    status, _ = await client.call("GET", "/healthz", token="")
    assert status == 200


async def test_bad_input_names_the_field_and_changes_nothing(client: Api) -> None:
    status, body = await client.call("PUT", "/v1/responders/ana", {"name": "", "capacity": {"sms": -1}})
    assert status == 422
    locs = {".".join(d["loc"]) for d in body["error"]["details"]}
    assert "name" in locs and "capacity" in locs
    status, body = await client.call("POST", "/v1/contacts", raw=b"{not json")
    assert status == 422 and body["error"]["code"] == "invalid_json"
    status, body = await client.call("POST", "/v1/contacts", {"channel": "fax", "from": "+15551234567"})
    assert status == 422 and body["error"]["details"][0]["loc"] == ["channel"]
    assert "+15551234567" not in str(body)  # input is never echoed: it may be personal data
    status, body = await client.call("POST", "/v1/contacts", {"channel": "sms", "from": "x", "bogus": 1})
    assert status == 422 and body["error"]["details"][0]["loc"] == ["bogus"]
    assert await client.ok("GET", "/v1/queue") == []
    assert await client.ok("GET", "/v1/responders") == []
    status, body = await client.call("GET", "/v1/oncall?at=yesterday")
    assert status == 422 and "at" in body["error"]["message"]


async def test_unknown_ids_are_404(client: Api) -> None:
    assert (await client.call("GET", "/v1/contacts/c_nope"))[0] == 404
    assert (await client.call("POST", "/v1/offers/o_nope/accept"))[0] == 404
    assert (await client.call("GET", "/v1/responders/nobody"))[0] == 404
    assert (await client.call("PUT", "/v1/responders/nobody/presence", {"status": "away"}))[0] == 404


async def test_publish_refuses_primary_gaps_unless_forced(client: Api) -> None:
    await people(client, "ana", "ben")
    shifts = [
        {"responder": "ana", "role": "primary", "start": T0, "end": at(600)},
        {"responder": "ana", "role": "primary", "start": at(660), "end": at(1440)},
        {"responder": "ben", "role": "backup", "start": T0, "end": at(1440)},
    ]
    draft = await client.ok(
        "PUT", f"/v1/rosters/main?from={T0}&to={at(1440)}", {"timezone": "UTC", "shifts": shifts}
    )
    assert draft["coverage"]["primary_gaps"] == [{"start": at(600), "end": at(660), "seconds": 3600.0}]
    assert draft["coverage"]["rating"] == "does_not_meet"
    status, body = await client.call("POST", "/v1/rosters/main/publish", {"from": T0, "to": at(1440)})
    assert status == 409 and "primary gap" in body["error"]["message"]
    assert (await client.ok("GET", "/v1/oncall"))["version"] is None
    done = await client.ok(
        "POST",
        "/v1/rosters/main/publish",
        {"from": T0, "to": at(1440), "force": True, "reason": "covering by phone tree"},
    )
    assert done["version"] == 1 and done["forced"] is True
    assert done["coverage"]["backup_gaps"] == []
    oc = await client.ok("GET", f"/v1/oncall?at={at(630)}")
    assert oc["primary"] == [] and oc["backup"] == ["ben"] and oc["version"] == 1
    oc = await client.ok("GET", f"/v1/oncall?at={at(10)}")
    assert oc["primary"] == ["ana"] and oc["roster"] == "main"


async def test_whole_life_of_a_text_contact(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ana = (await client.ok("POST", "/v1/tokens", {"role": "responder", "person": "ana", "responder": "ana"}))[
        "token"
    ]
    created = await client.ok(
        "POST",
        "/v1/contacts",
        {"channel": "sms", "from": "+15551230000", "body": "I need help", "language": "en"},
    )
    # 09:00 UTC is 04:00 at the hotline (America/New_York): the overnight-text rule applies
    assert created["status"] == "queued" and created["priority"] == "high"
    assert "handle_with_care" in created["flags"]
    cid = created["id"]
    assert [q["id"] for q in await client.ok("GET", "/v1/queue")] == [cid]
    offers = await client.ok("GET", "/v1/offers?responder=ana&status=pending", token=ana)
    assert [o["contact_id"] for o in offers] == [cid]
    status, _ = await client.call("GET", "/v1/offers?responder=ben", token=ana)
    assert status == 403
    await client.advance(40)
    accepted = await client.ok("POST", f"/v1/offers/{offers[0]['id']}/accept", token=ana)
    assert accepted["status"] == "accepted" and accepted["contact"]["status"] == "assigned"
    await client.advance(20)
    await client.ok("POST", f"/v1/contacts/{cid}/messages", {"body": "I'm here"}, token=ana)
    c = await client.ok("GET", f"/v1/contacts/{cid}", token=ana)
    assert c["status"] == "answered" and c["answered_at"] == at(1) and c["responder"] == "ana"
    assert "+15551230000" not in str(c)
    status, body = await client.call("POST", f"/v1/contacts/{cid}/close", {"disposition": "nope"}, token=ana)
    assert status == 422 and body["error"]["details"][0]["loc"] == ["disposition"]
    # a referral must name the partner, from the protocol's directory; nothing changes until it does
    status, body = await client.call(
        "POST", f"/v1/contacts/{cid}/close", {"disposition": "referral"}, token=ana
    )
    assert status == 422 and body["error"]["details"][0]["loc"] == ["referral"]
    status, body = await client.call(
        "POST",
        f"/v1/contacts/{cid}/close",
        {"disposition": "referral", "referral": {"partner": "nobody"}},
        token=ana,
    )
    assert status == 422 and "partner directory" in body["error"]["message"]
    assert (await client.ok("GET", f"/v1/contacts/{cid}"))["status"] == "answered"
    await client.ok(
        "POST",
        f"/v1/contacts/{cid}/close",
        {"disposition": "referral", "notes": "n", "referral": {"partner": "nhth"}},
        token=ana,
    )
    status, body = await client.call(
        "POST",
        f"/v1/contacts/{cid}/close",
        {"disposition": "referral", "referral": {"partner": "nhth"}},
        token=ana,
    )
    assert status == 409
    # the referral is followed up (Standards 23/35): a follow-up task is due per the protocol
    timers = await client.service.store.timers()
    assert [t.id for t in timers if t.contact_id == cid] == [f"followup:{cid}"]
    c = await client.ok("GET", f"/v1/contacts/{cid}")
    assert [e["event"] for e in c["timeline"]] == [
        "received",
        "offered",
        "accepted",
        "answered",
        "message_sent",
        "closed",
        "wrap_up",
    ]
    assert c["protocol_version"].startswith("p-") and c["roster_version"] == 1


async def test_expired_offer_is_409_and_moves_to_backup(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client, primary="ana", backup="ben")
    cid = (await client.ok("POST", "/v1/contacts", {"channel": "chat", "from": "visitor-1"}))["id"]
    [offer] = await client.ok("GET", "/v1/offers")
    await client.advance(60)
    status, body = await client.call("POST", f"/v1/offers/{offer['id']}/accept")
    assert status == 409 and "expired" in body["error"]["message"]
    await client.advance(240, step=30)  # at 5 minutes the backup is in the audience
    c = await client.ok("GET", f"/v1/contacts/{cid}")
    assert c["escalation_level"] == 1
    assert {o["responder"] for o in await client.ok("GET", "/v1/offers")} <= {"ana", "ben"}


async def test_compliance_report_counts_exactly(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ids = []
    for i, channel in enumerate(["sms", "chat", "voice"]):
        ids.append((await client.ok("POST", "/v1/contacts", {"channel": channel, "from": f"p{i}"}))["id"])
    # the sms one is answered in 2 minutes; the chat one is abandoned; the voice one breaches
    await client.advance(120, step=10)
    for o in await client.ok("GET", "/v1/offers"):
        if o["contact_id"] == ids[0]:
            await client.ok("POST", f"/v1/offers/{o['id']}/accept")
    await client.ok("POST", f"/v1/contacts/{ids[0]}/messages", {"body": "hello"})
    await client.ok("POST", f"/v1/contacts/{ids[1]}/abandon")
    await client.advance(20 * 60, step=30)
    report = await client.ok("GET", f"/v1/reports/compliance?from={T0}&to={at(60)}")
    assert report["contacts"] == 3 and report["answered"] == 1
    assert report["answered_within_target"] == 1 and report["within_target_pct"] == pytest.approx(33.33)
    assert report["time_to_answer_s"]["p50"] == 120.0 and report["time_to_answer_s"]["max"] == 120.0
    assert report["target_s"] == 1200.0
    [breach] = report["breaches"]
    assert breach["contact_id"] == ids[2] and breach["channel"] == "voice"
    assert report["by_channel"]["sms"]["answered_within_target"] == 1
    assert report["by_channel"]["chat"]["abandoned"] == 1
    assert report["coverage"]["rating"] == "exceeds" and report["coverage"]["primary_gap_s"] == 0
    empty = await client.ok("GET", f"/v1/reports/compliance?from={at(120)}&to={at(180)}")
    assert empty["contacts"] == 0 and empty["within_target_pct"] is None


async def test_responder_sees_only_their_own(client: Api) -> None:
    await people(client, "ana", "ben", "sue")
    await roster(client)
    ben = (await client.ok("POST", "/v1/tokens", {"role": "responder", "person": "ben", "responder": "ben"}))[
        "token"
    ]
    cid = (await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": "+15550000001"}))["id"]
    assert (await client.call("GET", f"/v1/contacts/{cid}", token=ben))[0] == 403
    [offer] = await client.ok("GET", "/v1/offers")
    assert (await client.call("POST", f"/v1/offers/{offer['id']}/accept", token=ben))[0] == 404
    assert (await client.call("PUT", "/v1/responders/ana/presence", {"status": "away"}, token=ben))[0] == 403
    await client.ok("PUT", "/v1/responders/ben/presence", {"status": "away"}, token=ben)
    assert (await client.call("POST", "/v1/contacts", {"channel": "sms", "from": "x"}, token=ben))[0] == 403


async def test_openapi_metrics_and_health(client: Api) -> None:
    doc = await client.ok("GET", "/v1/openapi.json", token="")
    assert "/v1/contacts" in doc["paths"] and "/v1/reports/compliance" in doc["paths"]
    assert doc["components"]["schemas"]["ContactIn"]["properties"]["from"]
    await client.ok("POST", "/v1/contacts", {"channel": "sms", "from": "+15550000001"})
    resp = await client.client.get("/metrics")
    text = await resp.text()
    assert 'safetynet_contacts_total{channel="sms",priority=' in text
    assert "safetynet_queue_depth 1.0" in text and "+1555" not in text
    assert (await client.ok("GET", "/readyz", token=""))["status"] == "ready"


async def test_rotations_publish_and_a_later_window_keeps_the_earlier(client: Api) -> None:
    await people(client, "ana", "ben", "cy")
    rotation = {
        "role": "primary",
        "participants": ["ana", "ben"],
        "start": "2026-03-02",
        "handoff": "09:00",
        "shift_length": "12h",
    }
    body = {
        "timezone": "UTC",
        "rotations": [rotation],
        "time_off": [{"responder": "ben", "start": at(12 * 60), "end": at(13 * 60)}],
    }
    draft = await client.ok("PUT", f"/v1/rosters/main?from={T0}&to={at(1440)}", body)
    assert draft["coverage"]["primary_gaps"] == [{"start": at(720), "end": at(780), "seconds": 3600.0}]
    assert any("primary" in line for line in draft["report"]["summary"])
    first = await client.ok(
        "POST",
        "/v1/rosters/main/publish",
        {"from": T0, "to": at(1440), "force": True, "reason": "ben's hour is covered by phone"},
    )
    assert set(first["changed_for"]) == {"ana", "ben"}
    # publish the next day only, with cy: the first day keeps ana and ben
    await client.ok(
        "PUT",
        "/v1/rosters/main",
        {
            "timezone": "UTC",
            "shifts": [{"responder": "cy", "role": "primary", "start": at(1440), "end": at(2880)}],
        },
    )
    second = await client.ok("POST", "/v1/rosters/main/publish", {"from": at(1440), "to": at(2880)})
    assert second["version"] == 2 and second["changed_for"] == ["cy"]
    assert (await client.ok("GET", f"/v1/oncall?at={at(60)}"))["primary"] == ["ana"]
    assert (await client.ok("GET", f"/v1/oncall?at={at(1500)}"))["primary"] == ["cy"]
