"""A local stand-in for Twilio's REST API (2010-04-01 Messages and Calls), recording what it was asked."""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

API = "/2010-04-01/Accounts/{account}"


def rfc2822(when: datetime) -> str:
    """Twilio's date format: "Tue, 31 Aug 2010 20:36:28 +0000"."""
    return when.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Failure:
    """Answer the next `count` requests (any resource) with `status` and Twilio error `code`."""

    count: int
    status: int = 500
    code: int = 20500


@dataclass
class FakeTwilioApi:
    account_sid: str
    auth_token: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    # The account's numbers and their console settings (voice_url, sms_url, status_callback).
    numbers: dict[str, dict[str, str | None]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    # Answer this many accepted messages with a non-JSON body (a proxy or stand-in that is terse).
    garbled: int = 0
    refused: int = 0
    requests: int = 0
    # A hung Twilio: while `gate` is set and closed, new messages and calls wait for it to open;
    # `holding` is set once one does (so a test knows a send is in flight and stuck).
    gate: asyncio.Event | None = None
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    # Set each time a message is recorded, for tests waiting on a background sender.
    recorded: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        base = API.format(account="{account}")
        app.router.add_post(base + "/Messages.json", self._create_message)
        app.router.add_post(base + "/Calls.json", self._create_call)
        app.router.add_post(base + "/Calls/{call}.json", self._update_call)
        app.router.add_get(base + ".json", self._fetch_account)
        app.router.add_get(base + "/IncomingPhoneNumbers.json", self._list_numbers)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def hang(self) -> asyncio.Event:
        """Hold every new message and call until the returned event is set."""
        self.gate = asyncio.Event()
        self.holding.clear()
        return self.gate

    async def _at_gate(self) -> None:
        if self.gate is not None and not self.gate.is_set():
            self.holding.set()
            await self.gate.wait()

    def fail(self, count: int, status: int = 500, code: int = 20500) -> None:
        self.failures.append(Failure(count, status, code))

    # -- what was sent ----------------------------------------------------------------------
    def texts_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == number]

    def calls_to(self, number: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["to"] == number]

    # -- the API ------------------------------------------------------------------------------
    def _error(self, status: int, code: int, message: str) -> web.Response:
        # Twilio's documented error body.
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    def _check(self, request: web.Request) -> web.Response | None:
        self.requests += 1
        if request.match_info["account"] != self.account_sid:
            return self._error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return self._error(401, 20003, "Authenticate")
        while self.failures and self.failures[0].count <= 0:
            self.failures.pop(0)
        if self.failures:
            failure = self.failures[0]
            failure.count -= 1
            self.refused += 1
            return self._error(failure.status, failure.code, "Service unavailable (fake)")
        return None

    async def _create_message(self, request: web.Request) -> web.Response:
        await self._at_gate()
        refused = self._check(request)
        if refused is not None:
            return refused
        form = await request.post()
        to, from_, body = form.get("To"), form.get("From"), form.get("Body")
        if not isinstance(to, str) or not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not isinstance(from_, str) or not from_:
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not isinstance(body, str) or not body:
            return self._error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.opted_out:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        now = datetime.now(UTC)
        sid = new_sid("SM")
        uri = f"{API.format(account=self.account_sid)}/Messages/{sid}.json"
        record = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": rfc2822(now),
            "date_sent": None,
            "date_updated": rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        self.messages.append({**record, "status_callback": form.get("StatusCallback")})
        self.recorded.set()
        if self.garbled > 0:
            self.garbled -= 1
            return web.Response(status=201, text="accepted")
        return web.json_response(record, status=201)

    async def _create_call(self, request: web.Request) -> web.Response:
        await self._at_gate()
        refused = self._check(request)
        if refused is not None:
            return refused
        form = await request.post()
        to, from_ = form.get("To"), form.get("From")
        url, twiml = form.get("Url"), form.get("Twiml")
        if not isinstance(to, str) or not to:
            return self._error(400, 21201, "No 'To' number is specified")
        if not isinstance(from_, str) or not from_:
            return self._error(400, 21213, "No 'From' number is specified")
        if not url and not twiml:
            return self._error(400, 21205, "Url parameter is required.")
        now = datetime.now(UTC)
        sid = new_sid("CA")
        record = self._call_json(sid, to, from_, "queued", now)
        self.calls.append(
            {
                **record,
                "url": url,
                "twiml": twiml,
                "status_callback": form.get("StatusCallback"),
                "timeout": form.get("Timeout"),
            }
        )
        return web.json_response(record, status=201)

    async def _update_call(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        sid = request.match_info["call"]
        call = next((c for c in self.calls if c["sid"] == sid), None)
        if call is None:
            return self._error(404, 20404, f"The requested resource {request.path} was not found")
        form = await request.post()
        change = {k: form.get(k) for k in ("Url", "Twiml", "Status") if form.get(k) is not None}
        self.updates.append({"sid": sid, **change})
        status = str(change.get("Status") or "in-progress")
        call["status"] = status
        return web.json_response(self._call_json(sid, call["to"], call["from"], status, datetime.now(UTC)))

    async def _fetch_account(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        now = rfc2822(datetime.now(UTC))
        return web.json_response(
            {
                "auth_token": self.auth_token,
                "date_created": now,
                "date_updated": now,
                "friendly_name": "SafetyNet test account",
                "owner_account_sid": self.account_sid,
                "sid": self.account_sid,
                "status": "active",
                "subresource_uris": {},
                "type": "Full",
                "uri": f"{API.format(account=self.account_sid)}.json",
            }
        )

    async def _list_numbers(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        wanted = request.query.get("PhoneNumber")
        uri = f"{API.format(account=self.account_sid)}/IncomingPhoneNumbers.json"
        rows = [
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "phone_number": number,
                "sid": "PN" + number.strip("+").rjust(32, "0"),
                "status": "in-use",
                "voice_method": "POST",
                "sms_method": "POST",
                "status_callback_method": "POST",
                **conf,
            }
            for number, conf in self.numbers.items()
            if wanted is None or number == wanted
        ]
        return web.json_response(
            {
                "end": max(0, len(rows) - 1),
                "first_page_uri": uri + "?PageSize=50&Page=0",
                "incoming_phone_numbers": rows,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            }
        )

    def _call_json(self, sid: str, to: str, from_: str, status: str, now: datetime) -> dict[str, Any]:
        uri = f"{API.format(account=self.account_sid)}/Calls/{sid}.json"
        return {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": "2010-04-01",
            "caller_name": None,
            "date_created": rfc2822(now),
            "date_updated": rfc2822(now),
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": status,
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": uri,
        }


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def segments(body: str) -> int:
    """How many SMS segments a body takes (GSM-7: 160/153, else UCS-2: 70/67)."""
    gsm = all(ch in GSM7 for ch in body)
    single, multi = (160, 153) if gsm else (70, 67)
    units = len(body) if gsm else len(body.encode("utf-16-le")) // 2
    return 1 if units <= single else -(-units // multi)
