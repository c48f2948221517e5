"""Bodies, windows and expansions too large to be honest input are refused with a 4xx naming the limit."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from router import safejson
from router.api.errors import MAX_BODY
from router.clock import VirtualClock
from router.store import Store
from schedules import Roster
from schedules.rotation import MAX_TURNS, Rotation, TooManyTurns, turns
from tests.conftest import START
from tests.router.api_client import Api, api

T0 = START.isoformat()


@pytest.fixture
async def client(store: Store, clock: VirtualClock) -> AsyncIterator[Api]:
    async with api(store, clock) as a:
        yield a


def error_format(data: object) -> dict[str, object]:
    assert isinstance(data, dict) and set(data) == {"error"}, data
    err = data["error"]
    assert isinstance(err, dict) and {"code", "message", "details"} <= set(err), err
    return err


@pytest.mark.parametrize("path", ["/v1/contacts", "/v1/rosters/main", "/v1/responders/ana"])
async def test_deeply_nested_json_is_a_422_naming_the_depth(client: Api, path: str) -> None:
    method = "POST" if path == "/v1/contacts" else "PUT"
    for deep in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 5000 + b"1" + b"}" * 5000):
        status, data = await client.call(method, path, raw=deep)
        assert status == 422, (status, data)
        err = error_format(data)
        assert err["code"] == "too_deep" and str(safejson.MAX_DEPTH) in str(err["message"])


async def test_brackets_inside_strings_do_not_count_as_depth(client: Api) -> None:
    body = {"channel": "sms", "from": "+15550001111", "body": "[[[[" * 100 + "{{{{" * 100}
    status, data = await client.call("POST", "/v1/contacts", body)
    assert status == 201, data


async def test_an_oversized_body_is_a_413_in_the_error_format(client: Api) -> None:
    big = b'{"channel": "sms", "from": "+15550001111", "body": "' + b"x" * MAX_BODY + b'"}'
    resp = await client.client.post(
        "/v1/contacts", data=io.BytesIO(big), headers={"Authorization": f"Bearer {client.token}"}
    )
    assert resp.status == 413
    err = error_format(await resp.json())
    assert err["code"] == "too_large" and str(MAX_BODY) in str(err["message"])
    assert await client.service.store.open_contacts() == []


def test_depth_scan_is_linear_and_exact() -> None:
    assert not safejson.depth_exceeds(b"[" * 32 + b"]" * 32)
    assert safejson.depth_exceeds(b"[" * 33 + b"]" * 33)
    assert not safejson.depth_exceeds(b'["' + b"[" * 1000 + b'"]')
    assert not safejson.depth_exceeds(b'["\\"' + b"[" * 1000 + b'"]')
    with pytest.raises(safejson.TooDeep):
        safejson.loads("[" * 10**6)


async def test_a_publish_window_over_400_days_is_refused(client: Api) -> None:
    end = (START + timedelta(days=401)).isoformat()
    status, data = await client.call("POST", "/v1/rosters/main/publish", {"from": T0, "to": end})
    assert status == 422
    err = error_format(data)
    assert err["code"] == "window_too_long" and "400 days" in str(err["message"])
    status, data = await client.call("PUT", f"/v1/rosters/main?from={T0}&to={end}", {"timezone": "UTC"})
    assert status == 422 and error_format(data)["code"] == "window_too_long"


async def test_one_minute_rotation_turns_are_refused(client: Api) -> None:
    rotation = {"role": "primary", "participants": ["ana"], "start": "2026-03-01", "shift_length": "1m"}
    status, data = await client.call("PUT", "/v1/rosters/main", {"rotations": [rotation]})
    assert status == 422
    assert "shift_length must be at least 15 minutes" in str(error_format(data)["details"])


async def test_a_year_of_short_turns_is_refused_quickly_naming_the_limit(client: Api) -> None:
    rotation = {
        "role": "primary",
        "participants": ["ana", "ben"],
        "start": "2026-03-01",
        "shift_length": "15m",
    }
    end = (START + timedelta(days=365)).isoformat()
    started = time.process_time()
    status, data = await client.call("PUT", f"/v1/rosters/main?from={T0}&to={end}", {"rotations": [rotation]})
    spent = time.process_time() - started
    assert status == 422, data
    assert f"more than {MAX_TURNS} turns" in str(error_format(data)["message"])
    assert spent < 20  # bounded work (measured ~1 s); 1-minute turns once took 67 s of loop time


def test_expansion_stops_at_the_cap_instead_of_counting_after() -> None:
    rot = Rotation.model_validate(
        {"role": "primary", "participants": ["a"], "start": "2026-01-01", "shift_length": "15m"}
    )
    zone = ZoneInfo("UTC")
    start = datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(TooManyTurns):
        turns(rot, zone, start, start + timedelta(days=3650), limit=100)
    assert len(turns(rot, zone, start, start + timedelta(hours=24), limit=400)) == 96
    # Several rotations share one budget: the roster as a whole stays under MAX_TURNS.
    roster = Roster(rotations=[rot, rot.model_copy(update={"role": "backup"})])
    with pytest.raises(TooManyTurns, match=r"the roster|rotation"):
        roster.expand(start, start + timedelta(days=150))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ana", "skills": ["x" * 65]}, "skills"),
        ({"name": "Ana", "languages": ["e" * 36]}, "languages"),
        ({"name": "Ana", "skills": ["ok"] * 65}, "skills"),
        ({"name": "A" * 201}, "name"),
    ],
)
async def test_responder_lists_and_names_have_length_limits(
    client: Api, body: dict[str, object], field: str
) -> None:
    status, data = await client.call("PUT", "/v1/responders/ana", body)
    assert status == 422
    err = error_format(data)
    details = err["details"]
    assert isinstance(details, list)
    assert any(d["loc"][0] == field for d in details)


async def test_contact_flags_and_skills_have_length_limits(client: Api) -> None:
    for field in ("flags", "skills"):
        body = {"channel": "sms", "from": "+15550001111", field: ["y" * 65]}
        status, data = await client.call("POST", "/v1/contacts", body)
        assert status == 422 and error_format(data)["code"] == "validation_failed"


async def test_a_roster_name_is_bounded(client: Api) -> None:
    status, data = await client.call("PUT", "/v1/rosters/" + "r" * 200, {"timezone": "UTC"})
    assert status == 422 and error_format(data)["code"] == "invalid_name"


async def test_an_hourly_limit_of_new_contacts_per_sender(client: Api) -> None:
    client.service.engine.sender_limit = 3
    body = {"channel": "sms", "from": "+15550001111", "body": "help"}
    for _ in range(3):
        assert (await client.call("POST", "/v1/contacts", body))[0] == 201
    status, data = await client.call("POST", "/v1/contacts", body)
    assert status == 429 and error_format(data)["code"] == "too_many_contacts"
    assert (await client.call("POST", "/v1/contacts", {**body, "from": "+15550002222"}))[0] == 201
    await client.clock.advance(3601)
    assert (await client.call("POST", "/v1/contacts", body))[0] == 201


async def test_a_deeply_nested_protocol_file_is_a_422(client: Api) -> None:
    for deep in (b"[" * 50_000, b"a: " + b"{b: " * 3000):
        status, data = await client.call("PUT", "/v1/protocol", raw=deep)
        assert status == 422, (status, data)
        err = error_format(data)
        assert err["code"] == "invalid_protocol" and "too deeply" in str(err["details"])
