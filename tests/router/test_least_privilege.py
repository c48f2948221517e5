"""Where a responder is reached (phone, email, notify_via) decides who reads the conversations
relayed there: only an admin sets it, or the responder after confirming a code sent to the new
address. Every such change is in the access audit with the person who made it."""

from __future__ import annotations

import re
from typing import Any

from router.clock import VirtualClock
from router.models import Responder
from router.notify import LogNotifier
from router.store import Store
from tests.router.api_client import Api, api

ANA = {"name": "Ana", "phone": "+15550100001", "notify_via": "sms"}


class Inbox(LogNotifier):
    """What the notifier was asked to send, to which address (the real senders are Twilio and
    SMTP, tested in tests/channels; here only who would receive what matters)."""

    def __init__(self) -> None:
        super().__init__()
        self.notices: list[tuple[Responder, str]] = []

    async def notice(self, responder: Responder, text: str) -> None:
        self.notices.append((responder, text))

    def reaches(self, responder: Responder) -> bool:
        return True

    def code_sent_to(self, address: str) -> str:
        for responder, text in reversed(self.notices):
            if address in (responder.phone, responder.email) and (found := re.search(r"\b\d{6}\b", text)):
                return found.group(0)
        raise AssertionError(f"no code sent to that address ({len(self.notices)} notices)")


async def _tokens(a: Api) -> dict[str, str]:
    made = {}
    for role, person, rid in (
        ("scheduler", "Sam", None),
        ("responder", "Ana", "ana"),
        ("responder", "Ben", "ben"),
    ):
        body: dict[str, Any] = {"role": role, "person": person, "responder": rid}
        made[person] = (await a.ok("POST", "/v1/tokens", body))["token"]
    return made


async def _audit(a: Api, action: str) -> list[dict[str, Any]]:
    events = await a.service.store.read_events()
    return [
        {"actor": e.model_extra.get("actor"), **e.model_extra}
        for _, e in events
        if e.event == "audit" and e.model_extra and e.model_extra.get("action") == action
    ]


async def test_a_scheduler_cannot_redirect_a_responder(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        tok = await _tokens(a)
        await a.ok("PUT", "/v1/responders/ana", ANA)  # the admin sets where Ana is reached
        status, body = await a.call(
            "PUT",
            "/v1/responders/ana",
            {**ANA, "phone": "+15559990000", "email": "x@evil.example"},
            token=tok["Sam"],
        )
        assert status == 403 and "email, phone" in body["error"]["message"]
        assert [d["loc"] for d in body["error"]["details"]] == [["email"], ["phone"]]
        status, body = await a.call(
            "PUT", "/v1/responders/ana", {**ANA, "notify_via": "console"}, token=tok["Sam"]
        )
        assert status == 403 and "notify_via" in body["error"]["message"]
        ana = await store.get_responder("ana")
        assert ana is not None and ana.phone == ANA["phone"] and ana.notify_via == "sms"
        # The scheduler may still change everything else; what they leave out is kept.
        done = await a.ok("PUT", "/v1/responders/ana", {"name": "Ana M.", "skills": ["es"]}, token=tok["Sam"])
        assert done["phone"] == ANA["phone"] and done["skills"] == ["es"] and done["notify_via"] == "sms"
        await a.ok("PUT", "/v1/responders/ana", {**ANA, "name": "Ana"}, token=tok["Sam"])  # same values: fine
        # Nor can they create someone reached at a number of their choosing.
        status, _ = await a.call(
            "PUT", "/v1/responders/eve", {"name": "Eve", "phone": "+15559990000"}, token=tok["Sam"]
        )
        assert status == 403 and await store.get_responder("eve") is None
        await a.ok("PUT", "/v1/responders/eve", {"name": "Eve"}, token=tok["Sam"])
        # The admin changes it, and the audit names the person (not just the role).
        await a.ok("PUT", "/v1/responders/ana", {**ANA, "phone": "+15550100002"})
        updates = await _audit(a, "responder.update")
        assert (
            updates[-1]["actor"] == "bootstrap-admin"
            and updates[-1]["detail"] == "responder=ana contact_fields=phone"
        )
        assert {u["actor"] for u in updates} == {"bootstrap-admin", "Sam"}
        assert all("+1555" not in str(u) for u in updates)


async def test_a_responder_changes_their_phone_by_confirming_a_code(
    store: Store, clock: VirtualClock
) -> None:
    async with api(store, clock) as a:
        inbox = Inbox()
        a.service.engine.notifier = inbox
        tok = await _tokens(a)
        await a.ok("PUT", "/v1/responders/ana", ANA)
        new = "+15550100009"
        # Only Ana herself (or an admin) may ask; a scheduler or another responder may not.
        for who in ("Sam", "Ben"):
            status, _ = await a.call(
                "POST", "/v1/responders/ana/contact-change", {"phone": new}, token=tok[who]
            )
            assert status == 403
        asked = await a.ok(
            "POST", "/v1/responders/ana/contact-change", {"phone": new}, token=tok["Ana"], status=202
        )
        assert asked["field"] == "phone" and "value" not in asked
        status, _ = await a.call(
            "POST", "/v1/responders/ana/contact-change", {"phone": new}, token=tok["Ana"]
        )
        assert status == 429  # one code a minute: not a way to text any number
        code = inbox.code_sent_to(new)
        assert all(r.phone == new for r, _ in inbox.notices)  # to the new number only
        # Nothing changes until the code comes back; a wrong code says how many tries are left.
        assert (await store.get_responder("ana")).phone == ANA["phone"]  # type: ignore[union-attr]
        wrong = "000000" if code != "000000" else "111111"
        status, body = await a.call(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": wrong}, token=tok["Ana"]
        )
        assert status == 422 and "4 attempt(s) left" in body["error"]["message"]
        done = await a.ok(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": code}, token=tok["Ana"]
        )
        assert done["changed"] == "phone"
        ana = await store.get_responder("ana")
        assert ana is not None and ana.phone == new and ana.pending_change is None
        assert inbox.notices[-1][0].phone == ANA["phone"]  # the old number is told
        # The view never shows the pending change; the audit names Ana, never the number.
        assert "pending_change" not in await a.ok("GET", "/v1/responders/ana")
        changed = await _audit(a, "responder.contact_changed")
        assert changed == [
            {
                "actor": "Ana",
                "role": "responder",
                "action": "responder.contact_changed",
                "detail": "responder=ana field=phone",
                "ip": "127.0.0.1",
            }
        ]
        # The code was used: it cannot be replayed.
        status, _ = await a.call(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": code}, token=tok["Ana"]
        )
        assert status == 409


async def test_codes_expire_and_allow_few_attempts(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        inbox = Inbox()
        a.service.engine.notifier = inbox
        tok = await _tokens(a)
        await a.ok("PUT", "/v1/responders/ana", ANA)
        await a.ok(
            "POST",
            "/v1/responders/ana/contact-change",
            {"email": "ana@example.org", "notify_via": "email"},
            token=tok["Ana"],
        )
        code = inbox.code_sent_to("ana@example.org")
        await clock.advance(10 * 60)
        status, body = await a.call(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": code}, token=tok["Ana"]
        )
        assert status == 409 and body["error"]["code"] == "no_pending_change"

        await a.ok(
            "POST", "/v1/responders/ana/contact-change", {"email": "ana@example.org"}, token=tok["Ana"]
        )
        code = inbox.code_sent_to("ana@example.org")
        wrong = "000000" if code != "000000" else "111111"
        statuses = [
            (
                await a.call(
                    "POST", "/v1/responders/ana/contact-change/confirm", {"code": wrong}, token=tok["Ana"]
                )
            )[0]
            for _ in range(6)
        ]
        assert statuses == [422, 422, 422, 422, 422, 429]
        status, _ = await a.call(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": code}, token=tok["Ana"]
        )
        assert status == 409  # locked out: even the right code needs a new request now
        ana = await store.get_responder("ana")
        assert ana is not None and ana.email is None


async def test_contact_change_input_is_checked(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:
        tok = await _tokens(a)
        await a.ok("PUT", "/v1/responders/ana", {"name": "Ana"})
        for body, loc in (
            ({}, []),
            ({"phone": "+15550100009", "email": "a@b.org"}, []),
            ({"phone": "call me"}, ["phone"]),
            ({"email": "nobody"}, ["email"]),
            ({"email": "a@b.org", "notify_via": "sms"}, ["notify_via"]),
        ):
            status, answer = await a.call("POST", "/v1/responders/ana/contact-change", body, token=tok["Ana"])
            assert status == 422, body
            assert loc in [d["loc"] for d in answer["error"]["details"]] or loc == [], answer
        status, answer = await a.call(
            "POST", "/v1/responders/ana/contact-change/confirm", {"code": "12"}, token=tok["Ana"]
        )
        assert status == 422 and answer["error"]["details"][0]["loc"] == ["code"]


async def test_no_code_is_promised_when_nothing_can_send_it(store: Store, clock: VirtualClock) -> None:
    async with api(store, clock) as a:  # no Twilio, no mail relay: only the log notifier
        tok = await _tokens(a)
        await a.ok("PUT", "/v1/responders/ana", ANA)
        status, body = await a.call(
            "POST", "/v1/responders/ana/contact-change", {"phone": "+15550100009"}, token=tok["Ana"]
        )
        assert (
            status == 409
            and body["error"]["code"] == "cannot_send_code"
            and "SMS" in body["error"]["message"]
        )
        ana = await store.get_responder("ana")
        assert ana is not None and ana.pending_change is None
