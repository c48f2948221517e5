"""A responder changes their own phone or email by confirming a code sent to the new address.

Where a responder is reached decides who reads the conversations relayed to them, so no one
but an admin sets it directly (router/api/responders.py). The responder may, once the new
address proves to be theirs: a 6-digit code, valid for minutes, a few attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.api.audited import audited
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.responders import responder_id
from router.api.routing import json_of, require, route
from router.keyring import derive
from router.models import ContactChange, NotifyVia, Responder

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PHONE = r"^\+?[0-9][0-9 ().-]{5,30}$"
EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
CODE_PURPOSE = "contact-change-code"


class ContactChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=32, pattern=PHONE)
    email: str | None = Field(default=None, max_length=320, pattern=EMAIL)
    notify_via: NotifyVia | None = None

    @model_validator(mode="after")
    def _one_address(self) -> ContactChangeIn:
        if (self.phone is None) == (self.email is None):
            raise ValueError("give exactly one of phone or email: the new address to confirm")
        return self

    @property
    def field(self) -> Literal["phone", "email"]:
        return "phone" if self.phone is not None else "email"


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{6}$")


def _code_hash(secret: str, nonce: str, code: str) -> str:
    return hmac.new(derive(secret, CODE_PURPOSE), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_notify(after: Responder) -> None:
    needs = {"sms": "phone", "voice": "phone", "email": "email"}.get(after.notify_via)
    if needs is not None and not getattr(after, needs):
        raise ApiError(
            422,
            "validation_failed",
            f"notify_via {after.notify_via} needs a {needs} on record",
            [{"loc": ["notify_via"], "msg": f"needs a {needs}"}],
        )


async def _responder(request: web.Request, rid: str) -> Responder:
    found = await services(request).store.get_responder(rid)
    if found is None:
        raise ApiError(404, "not_found", f"no responder {rid}")
    return found


@route(
    "POST",
    "/v1/responders/{id}/contact-change",
    roles=("responder",),
    body=ContactChangeIn,
    summary="The responder asks to change their own phone or email: a code goes to the new address",
)
async def request_change(request: web.Request) -> web.Response:
    rid = responder_id(request)
    who = require(request, responder=rid)
    body = await parse_body(request, ContactChangeIn)
    svc = services(request)
    responder = await _responder(request, rid)
    value = body.phone if body.phone is not None else body.email
    assert value is not None
    _check_notify(
        responder.model_copy(
            update={body.field: value, "notify_via": body.notify_via or responder.notify_via}
        )
    )
    via = "sms" if body.field == "phone" else "email"
    to_new = responder.model_copy(update={body.field: value, "notify_via": via})
    if not svc.engine.notifier.reaches(to_new):
        raise ApiError(
            409,
            "cannot_send_code",
            f"this hotline has no {'SMS provider' if via == 'sms' else 'mail relay'} set up to send the "
            f"code to a new {body.field}: ask an admin to change it",
        )
    now = svc.engine.clock.now()
    # One code a minute per responder: the endpoint must not become a way to text any number.
    if not await svc.store.mark_once(f"cc-ask:{rid}:{int(now.timestamp()) // 60}", 120):
        raise ApiError(429, "too_many_requests", "a code was just sent: wait a minute before asking again")
    code, nonce = f"{secrets.randbelow(10**6):06d}", secrets.token_hex(8)
    pending = ContactChange(
        field=body.field,
        value=value,
        notify_via=body.notify_via,
        code_hash=_code_hash(svc.settings.secret_key, nonce, code),
        nonce=nonce,
        expires_at=now + CODE_TTL,
        requested_by=who.who,
    )
    await svc.engine.put_responder(responder.model_copy(update={"pending_change": pending}))
    # The code goes to the new address only: whoever confirms it holds that phone or mailbox.
    await svc.engine.notifier.notice(
        to_new,
        f"SafetyNet code {code}: it confirms this {body.field} for your hotline account. "
        f"It expires in {int(CODE_TTL.total_seconds() // 60)} minutes. Did not ask? Tell your admin.",
    )
    await audited(request, "responder.contact_change_requested", detail=f"responder={rid} field={body.field}")
    return json_of(
        {"id": rid, "field": body.field, "expires_at": pending.expires_at, "attempts": MAX_ATTEMPTS},
        status=202,
    )


@route(
    "POST",
    "/v1/responders/{id}/contact-change/confirm",
    roles=("responder",),
    body=ConfirmIn,
    summary="Confirm a contact change with the code sent to the new address; applies it",
)
async def confirm_change(request: web.Request) -> web.Response:
    rid = responder_id(request)
    require(request, responder=rid)
    body = await parse_body(request, ConfirmIn)
    svc = services(request)
    responder = await _responder(request, rid)
    pending = responder.pending_change
    now = svc.engine.clock.now()
    if pending is None or now >= pending.expires_at:
        raise ApiError(
            409, "no_pending_change", "no contact change is waiting (or its code expired): ask again"
        )
    # Attempts are counted in the store (one mark each), so parallel guesses on several
    # instances share the same few tries.
    ttl = max(1.0, (pending.expires_at - now).total_seconds())
    tried = 0
    while tried < MAX_ATTEMPTS and not await svc.store.mark_once(f"cc:{rid}:{pending.nonce}:{tried}", ttl):
        tried += 1
    if tried >= MAX_ATTEMPTS:
        await svc.engine.put_responder(responder.model_copy(update={"pending_change": None}))
        await audited(request, "responder.contact_change_locked", detail=f"responder={rid}")
        raise ApiError(429, "too_many_attempts", "too many wrong codes: ask for a new code")
    expected = _code_hash(svc.settings.secret_key, pending.nonce, body.code)
    if not hmac.compare_digest(expected, pending.code_hash):
        left = MAX_ATTEMPTS - tried - 1
        raise ApiError(
            422,
            "wrong_code",
            f"that code is not the one sent ({left} attempt(s) left)",
            [{"loc": ["code"], "msg": "wrong code"}],
        )
    change: dict[str, object] = {pending.field: pending.value, "pending_change": None}
    if pending.notify_via is not None:
        change["notify_via"] = pending.notify_via
    updated = responder.model_copy(update=change)
    await svc.engine.put_responder(updated)
    await audited(request, "responder.contact_changed", detail=f"responder={rid} field={pending.field}")
    # The old address hears of it, so a change nobody asked for does not go unnoticed.
    await svc.engine.notifier.notice(
        responder,
        f"SafetyNet: the {pending.field} on your hotline account was changed. Not you? Tell your admin.",
    )
    presence = (await svc.store.presence()).get(rid)
    return json_of({"id": rid, "changed": pending.field, "presence": presence or "offline"})
