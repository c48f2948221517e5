"""Twilio's side of the webhooks: signed requests as Twilio would send them, and reading the TwiML back."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator


@dataclass
class Reply:
    status: int
    text: str

    @property
    def xml(self) -> ET.Element:
        return ET.fromstring(self.text)  # noqa: S314 - our own service's TwiML, in a test

    def all(self, tag: str) -> list[ET.Element]:
        return list(self.xml.iter(tag))

    def first(self, tag: str) -> ET.Element:
        found = self.all(tag)
        assert found, f"no <{tag}> in {self.text}"
        return found[0]

    def attr(self, tag: str, name: str) -> str:
        value = self.first(tag).get(name)
        assert value is not None, f"<{tag}> has no {name}: {self.text}"
        return value

    def texts(self, tag: str) -> list[str]:
        return [(e.text or "").strip() for e in self.all(tag)]


class TwilioWebhooks:
    """Signs with the account's auth token (RequestValidator.compute_signature, as Twilio does)
    against the public URL, and delivers to the local server standing behind that URL."""

    def __init__(
        self, local_base: str, public_url: str, auth_token: str, hotline: str, account_sid: str
    ) -> None:
        self.local_base = local_base.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.hotline = hotline
        self.account_sid = account_sid
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    def public(self, path: str) -> str:
        return path if path.startswith("http") else self.public_url + path

    async def post(
        self,
        url: str,
        params: dict[str, str],
        *,
        sign: bool = True,
        signature: str | None = None,
        tamper: dict[str, str] | None = None,
    ) -> Reply:
        """POST the form as Twilio would; `tamper` changes fields after signing."""
        url = self.public(url)
        assert url.startswith(self.public_url), url
        headers = {}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        elif sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, params)
        form = {**params, **(tamper or {})}
        target = self.local_base + url[len(self.public_url) :]
        async with self.session.post(target, data=form, headers=headers) as response:
            return Reply(response.status, await response.text())

    def _standard(self, **extra: str) -> dict[str, str]:
        return {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", **extra}

    # -- inbound to the hotline -----------------------------------------------------------------
    async def incoming_sms(self, sender: str, body: str, **opts: Any) -> Reply:
        params = self._standard(
            MessageSid="SM" + secrets.token_hex(16),
            SmsSid="SM" + secrets.token_hex(16),
            From=sender,
            To=self.hotline,
            Body=body,
            NumMedia="0",
            NumSegments="1",
        )
        return await self.post("/channels/twilio/sms", params, **opts)

    async def incoming_call(self, caller: str, call_sid: str | None = None, **opts: Any) -> tuple[str, Reply]:
        sid = call_sid or "CA" + secrets.token_hex(16)
        params = self.call_params(sid, caller, self.hotline, "ringing", direction="inbound")
        return sid, await self.post("/channels/twilio/voice", params, **opts)

    def call_params(
        self, sid: str, from_: str, to: str, status: str, direction: str, **extra: str
    ) -> dict[str, str]:
        return self._standard(
            CallSid=sid,
            From=from_,
            To=to,
            CallStatus=status,
            Direction=direction,
            Caller=from_,
            Called=to,
            **extra,
        )

    # -- driving calls Twilio placed ----------------------------------------------------------------
    async def answer(self, call: dict[str, Any]) -> Reply:
        """The callee picks up: Twilio requests the call's Url."""
        assert call["url"], "call has inline TwiML, nothing to request"
        params = self.call_params(call["sid"], call["from"], call["to"], "in-progress", "outbound-api")
        return await self.post(call["url"], params)

    async def press(self, action_url: str, call: dict[str, Any], digits: str) -> Reply:
        params = self.call_params(
            call["sid"],
            call["from"],
            call["to"],
            "in-progress",
            "outbound-api",
            Digits=digits,
            FinishedOnKey="",
        )
        return await self.post(action_url, params)

    async def call_status(
        self, url: str, sid: str, from_: str, to: str, status: str, direction: str
    ) -> Reply:
        params = self.call_params(sid, from_, to, status, direction, CallDuration="0")
        return await self.post(url, params)

    async def dequeue(self, queue_url: str, caller_sid: str, caller: str, responder_sid: str) -> Reply:
        """<Dial><Queue url=...>: Twilio runs the url on the caller's leg as it joins the responder."""
        params = self.call_params(
            caller_sid,
            caller,
            self.hotline,
            "in-progress",
            "inbound",
            QueueSid="QU" + secrets.token_hex(16),
            QueueTime="42",
            DequeingCallSid=responder_sid,
        )
        return await self.post(queue_url, params)

    async def left_queue(self, action_url: str, caller_sid: str, caller: str, result: str) -> Reply:
        params = self.call_params(
            caller_sid, caller, self.hotline, "completed", "inbound", QueueResult=result, QueueTime="30"
        )
        return await self.post(action_url, params)
