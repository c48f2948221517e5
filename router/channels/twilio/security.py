"""Twilio request signatures on every webhook, and the signed callback URLs SafetyNet hands to Twilio."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import structlog
from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from router.api.errors import error_response

log = structlog.get_logger("router.channels.twilio")

PREFIX = "/channels/twilio"
Form = MultiDictProxy[str]
Handler = Callable[[web.Request, Form], Awaitable[web.StreamResponse]]


class Links:
    """Absolute URLs under the deployment's public base: what Twilio requests, and signs."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def url(self, path: str, **query: str) -> str:
        # Callback state (contact, offer) rides in the query: Twilio signs the whole URL,
        # so it comes back unaltered and nothing needs to be stored to remember it.
        q = {k: v for k, v in query.items() if v}
        return f"{self.base}{PREFIX}{path}" + (f"?{urlencode(sorted(q.items()))}" if q else "")


class Guard:
    """Refuses any request whose X-Twilio-Signature does not match its URL and form.

    With no auth token or no public URL nothing can be checked, so everything is refused;
    there is deliberately no mode that skips the check.
    """

    def __init__(self, auth_token: str | None, public_url: str | None) -> None:
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.base = public_url.rstrip("/") if public_url else None

    def wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if self.validator is None or self.base is None:
                log.error("twilio_webhook_unconfigured", path=request.path)
                return error_response(
                    503,
                    "twilio_not_configured",
                    "Twilio webhooks are refused: set SAFETYNET_TWILIO_AUTH_TOKEN and SAFETYNET_PUBLIC_URL "
                    "(the https base URL Twilio uses to reach this service)",
                )
            form = await request.post()
            params = MultiDictProxy(MultiDict([(k, v) for k, v in form.items() if isinstance(v, str)]))
            # The URL exactly as Twilio requested it at the public base (behind any proxy).
            url = self.base + request.raw_path
            signature = request.headers.get(SIGNATURE_HEADER, "")
            if not signature or not self.validator.validate(url, params, signature):
                log.warning("twilio_signature_refused", path=request.path, signed=bool(signature))
                return error_response(
                    403,
                    "bad_signature",
                    "the X-Twilio-Signature header is missing or does not match this request",
                )
            return await handler(request, params)

        return guarded
