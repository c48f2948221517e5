"""Calendar feeds, secret feed URLs, imports and CSV export through the real app, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from structlog.testing import capture_logs
from yarl import URL

from router.clock import VirtualClock
from router.store import Store, StoreUnavailable
from schedules import Roster, read_csv
from tests.router.api_client import Api, api

NY = ZoneInfo("America/New_York")
# The US springs forward on Sunday 2026-03-08: the night of the 7th is 11 hours long.
WEEK_FROM = "2026-03-05T00:00:00-05:00"
WEEK_TO = "2026-03-12T00:00:00-04:00"
DST_ROSTER: dict[str, Any] = {
    "timezone": "America/New_York",
    "rotations": [
        {
            "name": "day and night",
            "role": "primary",
            "participants": ["ana", "ben"],
            "start": "2026-03-02",
            "handoff": "07:00",
            "shift_length": "12h",
        },
        {
            "name": "backup weekly",
            "role": "backup",
            "participants": ["cy"],
            "start": "2026-03-02",
            "handoff": "09:00",
            "shift_length": "1w",
        },
    ],
    "shifts": [
        {"responder": "sue", "role": "supervisor", "start": WEEK_FROM, "end": WEEK_TO},
    ],
    "time_off": [{"responder": "cy", "start": "2026-03-09T12:00", "end": "2026-03-09T18:00"}],
}
Key = tuple[str, str, datetime, datetime]


@pytest.fixture
async def client(store: Store, clock: VirtualClock) -> AsyncIterator[Api]:
    async with api(store, clock) as a:
        yield a


async def publish_dst_week(a: Api) -> None:
    for rid in ("ana", "ben", "cy", "sue"):
        await a.ok("PUT", f"/v1/responders/{rid}", {"name": rid.title(), "languages": ["en"]})
    await a.ok("PUT", f"/v1/rosters/main?from={WEEK_FROM}&to={WEEK_TO}", DST_ROSTER)
    await a.ok("POST", "/v1/rosters/main/publish", {"from": WEEK_FROM, "to": WEEK_TO, "force": True})


async def token_for(a: Api, responder: str) -> str:
    made = await a.ok(
        "POST", "/v1/tokens", {"role": "responder", "person": responder, "responder": responder}
    )
    return str(made["token"])


def events(text: str) -> list[Key]:
    """The shifts of a feed as an independent parser reads them."""
    found: list[Key] = []
    for event in Calendar.from_ical(text).walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert isinstance(start, datetime) and isinstance(end, datetime)
        assert start.tzinfo is not None and end.tzinfo is not None
        found.append((str(event["X-SAFETYNET-RESPONDER"]), str(event["X-SAFETYNET-ROLE"]), start, end))
    return sorted(found, key=lambda k: (k[2], k[1], k[0]))


async def version_keys(a: Api, responder: str | None = None) -> list[Key]:
    version = await a.service.store.latest_version()
    assert version is not None
    keys = [s.key() for s in version.shifts if responder is None or s.responder == responder]
    return sorted(keys, key=lambda k: (k[2], k[1], k[0]))


async def test_ics_matches_the_published_version_shift_by_shift_across_dst(client: Api) -> None:
    await publish_dst_week(client)
    resp = await client.client.get(
        "/v1/rosters/main/calendar.ics", headers={"Authorization": f"Bearer {client.token}"}
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in resp.headers["Cache-Control"]
    got = events(await resp.text())
    assert got == await version_keys(client)
    assert len(got) > 14

    # The spring-forward night: 19:00 EST to 07:00 EDT is 11 real hours, and both handoffs stay
    # at their wall-clock times on either side of the change.
    night = [k for k in got if k[1] == "primary" and k[2] == datetime(2026, 3, 7, 19, tzinfo=NY)]
    assert [(k[0], k[3] - k[2]) for k in night] == [("ben", timedelta(hours=11))]
    assert night[0][3] == datetime(2026, 3, 8, 7, tzinfo=NY)
    handoffs = {k[2].astimezone(NY).strftime("%H:%M") for k in got if k[1] == "primary"}
    assert handoffs <= {"00:00", "07:00", "19:00"}
    # Time off opens a backup gap, and the feed shows exactly that.
    cy = [(k[2], k[3]) for k in got if k[0] == "cy"]
    assert (datetime(2026, 3, 9, 12, tzinfo=NY), datetime(2026, 3, 9, 18, tzinfo=NY)) not in cy
    assert any(end == datetime(2026, 3, 9, 12, tzinfo=NY).astimezone(UTC) for _, end in cy)


async def test_one_responders_calendar_and_who_may_fetch_it(client: Api) -> None:
    await publish_dst_week(client)
    ana = await token_for(client, "ana")
    status, text = await client.call("GET", "/v1/rosters/main/calendar.ics?responder=ana", token=ana)
    assert status == 200
    assert events(text) == await version_keys(client, "ana")
    assert {k[0] for k in events(text)} == {"ana"}
    status, body = await client.call("GET", "/v1/rosters/main/calendar.ics?responder=ben", token=ana)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _ = await client.call("GET", "/v1/rosters/main/calendar.ics", token=ana)
    assert status == 403
    status, body = await client.call("GET", "/v1/rosters/other/calendar.ics")
    assert status == 404 and "publish" in body["error"]["message"]


async def test_secret_feed_per_responder_then_revoked(client: Api) -> None:
    await publish_dst_week(client)
    ana = await token_for(client, "ana")
    with capture_logs() as logs:
        made = await client.ok(
            "POST", "/v1/rosters/main/feeds", {"responder": "ana", "label": "my phone"}, token=ana, status=201
        )
        url = made["url"]
        assert url.startswith(str(client.client.make_url("/feeds/"))) and url.endswith(".ics")
        secret = url.rsplit("/", 1)[1].removesuffix(".ics")
        assert len(made["id"]) == 12 and made["id"] not in secret

        # No bearer token: the secret in the URL is the credential.
        resp = await client.client.get(f"/feeds/{secret}.ics")
        assert resp.status == 200 and resp.content_type == "text/calendar"
        assert events(await resp.text()) == await version_keys(client, "ana")

        status, _ = await client.call("DELETE", f"/v1/feeds/{secret}", token=await token_for(client, "ben"))
        assert status == 403
        status, _ = await client.call("DELETE", f"/v1/feeds/{secret}")
        assert status == 204
        resp = await client.client.get(f"/feeds/{secret}.ics")
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "not_found"
        status, _ = await client.call("DELETE", f"/v1/feeds/{secret}.ics")
        assert status == 404
    assert secret not in repr(logs)
    assert any(e["event"] == "feed_revoked" and e["feed"] == made["id"] for e in logs)


async def test_whole_roster_feed_and_who_may_make_feeds(client: Api) -> None:
    await publish_dst_week(client)
    ana = await token_for(client, "ana")
    status, _ = await client.call("POST", "/v1/rosters/main/feeds", {"responder": "ben"}, token=ana)
    assert status == 403
    status, _ = await client.call("POST", "/v1/rosters/main/feeds", {}, token=ana)
    assert status == 403
    status, body = await client.call("POST", "/v1/rosters/nope/feeds", {})
    assert status == 404
    status, body = await client.call("POST", "/v1/rosters/main/feeds", {"responder": "zed"})
    assert status == 404 and body["error"]["details"][0]["loc"] == ["responder"]
    scheduler = (await client.ok("POST", "/v1/tokens", {"role": "scheduler", "person": "sam"}))["token"]
    # No body at all asks for the whole roster's feed.
    made = await client.ok("POST", "/v1/rosters/main/feeds", None, token=scheduler, status=201)
    resp = await client.client.get(URL(made["url"]).path)
    assert events(await resp.text()) == await version_keys(client)
    for unknown in ("/feeds/nonsense.ics", "/feeds/" + "A" * 43 + ".ics"):
        resp = await client.client.get(unknown)
        assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"


async def test_feed_url_uses_the_public_base_when_set(client: Api) -> None:
    await publish_dst_week(client)
    client.service.settings.public_url = "https://hotline.example.org/"
    made = await client.ok("POST", "/v1/rosters/main/feeds", {}, status=201)
    assert made["url"].startswith("https://hotline.example.org/feeds/")


BAD_CSV = (
    "responder,role,start,end\n"
    "ana,primary,2026-03-02 09:00,2026-03-02 17:00\n"
    "ben,medic,2026-03-02 17:00,2026-03-03 01:00\n"
    "\n"
    "cy,backup,2026-03-02 09:00,yesterday\n"
)


async def import_file(a: Api, query: str, text: str, content_type: str) -> tuple[int, Any]:
    resp = await a.client.post(
        f"/v1/rosters/main/import{query}",
        data=text.encode(),
        headers={"Authorization": f"Bearer {a.token}", "Content-Type": content_type},
    )
    return resp.status, await resp.json()


async def test_csv_with_a_bad_row_changes_nothing_and_names_the_lines(client: Api) -> None:
    status, body = await import_file(client, "?timezone=America/New_York", BAD_CSV, "text/csv")
    assert status == 422 and body["error"]["code"] == "import_failed"
    assert [(d["line"], d["msg"].split(" ")[0]) for d in body["error"]["details"]] == [
        (3, "role"),
        (5, "end"),
    ]
    assert "nothing was imported" in body["error"]["message"]
    assert await client.service.store.get_draft("main") is None

    draft = Roster.model_validate(DST_ROSTER)
    await client.ok("PUT", f"/v1/rosters/main?from={WEEK_FROM}&to={WEEK_TO}", DST_ROSTER)
    status, _ = await import_file(client, "?format=csv", BAD_CSV, "application/octet-stream")
    assert status == 422
    assert await client.service.store.get_draft("main") == draft


async def test_import_refuses_unknown_format_zone_and_empty_files(client: Api) -> None:
    status, body = await import_file(client, "", "x", "application/octet-stream")
    assert status == 422 and body["error"]["code"] == "invalid_format"
    status, body = await import_file(client, "?format=csv&timezone=Mars/Base", BAD_CSV, "text/csv")
    assert status == 422 and body["error"]["code"] == "invalid_timezone"
    status, body = await import_file(client, "?format=csv", "responder,role,start,end\n", "text/csv")
    assert status == 422 and body["error"]["code"] == "empty_import"
    assert await client.service.store.get_draft("main") is None


GOOD_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:one@test
DTSTART;TZID=America/New_York:20260302T090000
DTEND;TZID=America/New_York:20260303T090000
SUMMARY:Primary on call: ana
END:VEVENT
BEGIN:VEVENT
UID:two@test
DTSTART:20260302T090000
DTEND:20260302T210000
SUMMARY:Backup on call: ben
END:VEVENT
END:VCALENDAR
"""


async def test_good_ics_import_answers_with_the_coverage_check(client: Api) -> None:
    status, body = await import_file(client, "?timezone=America/New_York", GOOD_ICS, "text/calendar")
    assert status == 200, body
    assert body["created"] and body["imported"] == 2 and body["duplicates"] == 0
    coverage = body["coverage"]
    assert coverage["rating"] == "meets" and coverage["primary_gaps"] == []
    assert coverage["from"] == "2026-03-02T14:00:00+00:00" and coverage["to"] == "2026-03-03T14:00:00+00:00"
    [gap] = coverage["backup_gaps"]
    assert (gap["start"], gap["end"]) == ("2026-03-03T02:00:00+00:00", "2026-03-03T14:00:00+00:00")
    assert "summary" in body["report"]
    draft = await client.service.store.get_draft("main")
    assert draft is not None and draft.timezone == "America/New_York" and len(draft.shifts) == 2

    # The same file again adds nothing: nobody is booked twice.
    status, body = await import_file(client, "?format=ics", GOOD_ICS, "text/plain")
    assert status == 200 and (body["imported"], body["duplicates"]) == (0, 2) and not body["created"]


async def test_bad_ics_event_is_named_by_the_line_it_starts_on(client: Api) -> None:
    bad = GOOD_ICS.replace("SUMMARY:Backup on call: ben", "SUMMARY:Lunch")
    status, body = await import_file(client, "?timezone=UTC", bad, "text/calendar")
    assert status == 422
    [detail] = body["error"]["details"]
    assert detail["line"] == 10 and detail["event"] == 2 and "no responder" in detail["msg"]
    assert await client.service.store.get_draft("main") is None


async def test_csv_export_of_the_published_version(client: Api) -> None:
    await publish_dst_week(client)
    resp = await client.client.get(
        "/v1/rosters/main/shifts.csv", headers={"Authorization": f"Bearer {client.token}"}
    )
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="main-v1.csv"'
    text = await resp.text()
    assert "-05:00" in text and "-04:00" in text  # written in the roster's own zone
    back = sorted((s.key() for s in read_csv(text)), key=lambda k: (k[2], k[1], k[0]))
    assert back == await version_keys(client)
    cy = await token_for(client, "cy")
    status, text = await client.call("GET", "/v1/rosters/main/shifts.csv?responder=cy", token=cy)
    assert status == 200 and {s.responder for s in read_csv(text)} == {"cy"}


async def test_feed_errors_never_log_the_secret(client: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    await publish_dst_week(client)
    made = await client.ok("POST", "/v1/rosters/main/feeds", {}, status=201)
    secret = URL(made["url"]).name.removesuffix(".ics")
    resp = await client.client.delete(f"/v1/feeds/{secret}")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "unauthenticated"

    async def unreachable(_: str) -> None:
        raise StoreUnavailable("down")

    monkeypatch.setattr(client.service.store, "get_feed", unreachable)
    monkeypatch.setattr(client.service.store, "delete_feed", unreachable)
    with capture_logs() as logs:
        resp = await client.client.get(f"/feeds/{secret}.ics")
        assert resp.status == 503 and (await resp.json())["error"]["code"] == "store_unavailable"
        status, _ = await client.call("DELETE", f"/v1/feeds/{secret}")
        assert status == 503
    assert logs and secret not in repr(logs)
