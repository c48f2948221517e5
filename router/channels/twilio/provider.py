"""The phone provider seam: send a text, place or redirect a call; Twilio's real client behind it."""

from __future__ import annotations

import abc
import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from router.channels.twilio.sms import split_sms

log = structlog.get_logger("router.channels.twilio")

# Twilio error 21610: the recipient replied STOP; carriers forbid texting them until START.
OPTED_OUT = 21610
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# twilio-python logs every request URL at INFO; its own logger stays quiet so no query string
# (which could one day carry a number) reaches the logs. Our own log lines carry no PII.
_quiet = logging.getLogger("router.channels.twilio.http")
_quiet.setLevel(logging.WARNING)


def _pairs(values: dict[str, object] | None) -> list[tuple[str, str]]:
    """Form or query pairs; a list value becomes the repeated parameter Twilio expects."""
    pairs: list[tuple[str, str]] = []
    for key, value in (values or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return pairs


class _HeaderAuthHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio-python's aiohttp client with its request done here, for two reasons: aiohttp 3.14
    deprecates the BasicAuth object it passes (a warning our suite treats as an error), and it
    forwards only a per-request timeout, so the client-wide one would never apply."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio-python's own signature
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        session: aiohttp.ClientSession = self.session
        async with session.request(
            method.upper(),
            url,
            params=_pairs(params) or None,
            data=_pairs(data) or None,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as response:
            return Response(response.status, await response.text(), response.headers)


@dataclass(frozen=True)
class Sent:
    """What the provider accepted: its id for the message or call, and its first status."""

    sid: str
    status: str


def _sent(instance: Any) -> Sent:
    if instance is None:
        return Sent(sid="", status="unknown")
    return Sent(sid=str(instance.sid or ""), status=str(instance.status or "unknown"))


class ProviderError(Exception):
    """The provider refused or could not be reached after retries. Never carries a number or body."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def opted_out(self) -> bool:
        return self.code == OPTED_OUT


class PhoneProvider(abc.ABC):
    """Everything SafetyNet asks of a phone network; core code never sees the vendor."""

    @abc.abstractmethod
    async def send_sms(self, to: str, body: str, status_callback: str | None = None) -> list[Sent]:
        """Send `body` from the hotline number, split into parts the network accepts."""

    @abc.abstractmethod
    async def place_call(
        self,
        to: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status_callback: str | None = None,
        timeout_s: int | None = None,
    ) -> Sent:
        """Call `to` from the hotline number; on answer run the TwiML at `url` (or `twiml`)."""

    @abc.abstractmethod
    async def update_call(
        self, call_sid: str, *, url: str | None = None, twiml: str | None = None, status: str | None = None
    ) -> Sent:
        """Redirect a live call to new TwiML, or end it (`status="completed"`)."""

    async def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release connections."""


Sleep = Callable[[float], Awaitable[None]]


class TwilioProvider(PhoneProvider):
    """The real `twilio` client on its aiohttp transport, retrying 429 and 5xx with backoff."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        number: str,
        api_base: str | None = None,
        # Small on purpose: these ride out a blip within one send. Longer outages are the
        # outbox's (router/outbox.py: retries over minutes, surviving a restart) and the
        # fallback's (next method, console). Only `check` and call updates send directly.
        attempts: int = 3,
        backoff_s: float = 0.25,
        timeout_s: float = 5.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.number = number
        self.api_base = api_base
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.timeout_s = timeout_s
        self._client: Client | None = None
        self._http: _HeaderAuthHttpClient | None = None

    def _get_client(self) -> Client:
        # Made on first use: the aiohttp session must be created inside the running loop.
        if self._client is None:
            self._http = _HeaderAuthHttpClient(logger=_quiet, timeout=self.timeout_s)
            client = Client(self.account_sid, self._auth_token, http_client=self._http)
            if self.api_base:
                client.api.base_url = self.api_base.rstrip("/")
                # Edge/region from TWILIO_EDGE would rewrite the host of the local server.
                client.edge = None
                client.region = None
            self._client = client
        return self._client

    async def run(self, what: str, call: Callable[[Client], Awaitable[Any]]) -> Any:
        """Any other Twilio request (setup checks), with the same retries and error mapping."""
        return await self._retrying(what, call)

    async def _retrying(self, what: str, call: Callable[[Client], Awaitable[Any]]) -> Any:
        client = self._get_client()
        last: ProviderError | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                return await call(client)
            except ValueError:
                # A 2xx whose body is not Twilio's JSON: the request was accepted, so sending
                # again (or falling back) would duplicate it. Record it as sent, unread.
                log.warning("twilio_unreadable_response", what=what)
                return None
            except TwilioRestException as exc:
                code = exc.code if isinstance(exc.code, int) else None
                last = ProviderError(f"Twilio refused {what} (HTTP {exc.status})", exc.status, code)
                if exc.status not in RETRY_STATUSES:
                    raise last from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = ProviderError(f"Twilio unreachable for {what} ({type(exc).__name__})")
            if attempt < self.attempts:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning("twilio_retry", what=what, attempt=attempt, status=last.status, retry_in_s=delay)
                await self._sleep(delay)
        assert last is not None
        log.error("twilio_failed", what=what, attempts=self.attempts, status=last.status)
        raise last

    async def send_sms(self, to: str, body: str, status_callback: str | None = None) -> list[Sent]:
        sent: list[Sent] = []
        for part in split_sms(body):

            async def create(client: Client, part: str = part) -> Any:
                return await client.messages.create_async(
                    to=to, from_=self.number, body=part, status_callback=status_callback
                )

            message = await self._retrying("message", create)
            sent.append(_sent(message))
        return sent

    async def place_call(
        self,
        to: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status_callback: str | None = None,
        timeout_s: int | None = None,
    ) -> Sent:
        if (url is None) == (twiml is None):
            raise ValueError("place_call needs exactly one of url or twiml")

        # No StatusCallbackEvent: Twilio then reports only the end (completed, busy, no-answer,
        # failed, canceled), which is all the fallback needs.
        async def create(client: Client) -> Any:
            return await client.calls.create_async(
                to=to,
                from_=self.number,
                url=url,
                twiml=twiml,
                status_callback=status_callback,
                timeout=timeout_s,
            )

        return _sent(await self._retrying("call", create))

    async def update_call(
        self, call_sid: str, *, url: str | None = None, twiml: str | None = None, status: str | None = None
    ) -> Sent:
        async def update(client: Client) -> Any:
            return await client.calls(call_sid).update_async(url=url, twiml=twiml, status=status)

        return _sent(await self._retrying("call update", update))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = None
        self._client = None
