"""Bearer tokens for named people: issue, list and revoke (admin)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router import tokens
from router.api.audited import audited
from router.api.auth import Role
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.routing import json_of, require, route


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    # Who will hold it, as the access audit will name them (a staff name or login, not a secret).
    person: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    responder: str | None = Field(default=None, max_length=128)
    label: str | None = Field(default=None, max_length=200)
    expires_in_s: int = Field(
        default=int(tokens.DEFAULT_LIFETIME.total_seconds()),
        ge=int(tokens.MIN_LIFETIME.total_seconds()),
        le=int(tokens.MAX_LIFETIME.total_seconds()),
    )

    @model_validator(mode="after")
    def _responder_for_responder_role(self) -> TokenIn:
        if self.role == "responder" and not self.responder:
            raise ValueError("a responder token names the responder it belongs to")
        return self


@route("POST", "/v1/tokens", roles=(), body=TokenIn, summary="Issue a bearer token to a named person (admin)")
async def create_token(request: web.Request) -> web.Response:
    p = require(request)
    body = await parse_body(request, TokenIn)
    svc = services(request)
    token, record = await tokens.issue(
        svc.store,
        role=body.role,
        person=body.person,
        responder=body.responder,
        label=body.label,
        now=svc.engine.clock.now(),
        by=p.who,
        lifetime=timedelta(seconds=body.expires_in_s),
    )
    await audited(request, "token.issue", detail=f"token={record.id} role={record.role}")
    return json_of(
        {
            "id": record.id,
            "token": token,
            "role": record.role,
            "person": record.person,
            "responder": record.responder,
            "expires_at": record.expires_at,
        },
        status=201,
    )


@route("GET", "/v1/tokens", roles=(), summary="Every token issued, without secrets (admin)")
async def list_tokens(request: web.Request) -> web.Response:
    require(request)
    now = services(request).engine.clock.now()
    found = await tokens.listing(services(request).store)
    return json_of([{**tokens.public(r), "active": tokens.usable(r, now)} for r in found])


@route("DELETE", "/v1/tokens/{id}", roles=(), summary="Revoke a token at once, on every instance (admin)")
async def revoke_token(request: web.Request) -> web.Response:
    p = require(request)
    token_id = request.match_info["id"]
    if not (len(token_id) == 20 and token_id.startswith("tok_")):
        raise ApiError(
            422,
            "invalid_id",
            "a token id is tok_ and 16 hex digits",
            [{"loc": ["path", "id"], "msg": "invalid"}],
        )
    svc = services(request)
    revoked = await tokens.revoke(svc.store, token_id, svc.engine.clock.now(), p.who)
    if revoked is None:
        raise ApiError(404, "not_found", f"no token {token_id}")
    await audited(request, "token.revoke", detail=f"token={token_id}")
    return json_of({**tokens.public(revoked), "active": False})
