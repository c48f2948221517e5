"""Inbound mail over HTTP, for hosted mail providers: the raw RFC 822 message, a shared secret."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from router.api.errors import error_response
from router.channels.email.inbound import EmailIntake
from router.settings import Settings

INTAKE = web.AppKey("email_intake", EmailIntake)
SECRET = web.AppKey("email_inbound_secret", str)
SECRET_HEADER = "X-SafetyNet-Inbound-Secret"  # noqa: S105 - a header name, not a secret
ENVELOPE_HEADER = "X-Envelope-From"
MAX_MESSAGE = 25 * 1024 * 1024
CHUNK = 256 * 1024
DEVELOPMENT_KEY = Settings.model_fields["secret_key"].default


def inbound_secret(settings: Settings) -> str | None:
    """The webhook's shared secret: `email_inbound_secret` if the settings have one, else derived
    from `secret_key`; None (webhook off) while secret_key is still the development default."""
    explicit = getattr(settings, "email_inbound_secret", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    if settings.secret_key == DEVELOPMENT_KEY:
        return None
    return hmac.new(settings.secret_key.encode(), b"email-inbound-webhook", hashlib.sha256).hexdigest()


async def inbound(request: web.Request) -> web.Response:
    secret = request.app.get(SECRET)
    if not secret:
        return error_response(
            404, "not_configured", "the inbound-mail webhook is off: set SAFETYNET_SECRET_KEY to enable it"
        )
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return error_response(401, "unauthenticated", f"send the shared secret in {SECRET_HEADER}")
    raw = await read_message(request)
    if raw is None:
        return error_response(
            413,
            "too_large",
            f"messages up to {MAX_MESSAGE} bytes are accepted",
            [{"loc": ["body"], "msg": f"at most {MAX_MESSAGE} bytes"}],
        )
    if not raw.strip():
        return error_response(422, "empty", "the body must be the raw RFC 822 message")
    envelope = request.headers.get(ENVELOPE_HEADER)
    outcome = await request.app[INTAKE].receive(raw, envelope)
    if outcome.kind == "refused":
        return error_response(
            429,
            "too_many_contacts",
            "this sender started too many conversations in the last hour; deliver the message again later",
        )
    return web.json_response(
        {"outcome": outcome.kind, "contact_id": outcome.contact_id, "reason": outcome.reason},
        status=200 if outcome.kind == "dropped" else 202,
    )


async def read_message(request: web.Request) -> bytes | None:
    """The whole body, read to its end; None when it is over MAX_MESSAGE (read no further).

    The API's JSON limit does not apply here (mail with attachments is larger), so the stream
    is read in chunks: a single read returns only what has arrived so far."""
    if request.content_length is not None and request.content_length > MAX_MESSAGE:
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(CHUNK):
        size += len(chunk)
        if size > MAX_MESSAGE:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
