"""A route table that also feeds the OpenAPI document and the role checks."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel

from router.api.auth import Principal, Role
from router.api.errors import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRINCIPAL = web.RequestKey("principal", Principal)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: frozenset[Role] | None  # None: public (or authenticated by the channel itself)
    summary: str
    body: type[BaseModel] | None = None
    query: dict[str, str] = field(default_factory=dict)
    tag: str = "v1"


ROUTES: list[Route] = []


def route(
    method: str,
    path: str,
    *,
    roles: tuple[Role, ...] | None,
    summary: str,
    body: type[BaseModel] | None = None,
    query: dict[str, str] | None = None,
    tag: str = "v1",
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        ROUTES.append(
            Route(
                method,
                path,
                fn,
                frozenset(roles) if roles is not None else None,
                summary,
                body,
                query or {},
                tag,
            )
        )
        return fn

    return register


def principal(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def require(request: web.Request, *roles: Role, responder: str | None = None) -> Principal:
    """Allow the named roles, or a responder acting on their own record."""
    p = principal(request)
    if p.role in roles or p.role == "admin":
        return p
    if responder is not None and p.role == "responder" and p.responder == responder:
        return p
    raise ApiError(403, "forbidden", f"the {p.role} role may not do this")


def json_of(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(model, BaseModel):
        return web.json_response(text=model.model_dump_json(), status=status)
    return web.json_response(text=_dumps(model), status=status)


# Times and dataclasses go to `_iso_only` (orjson would write its own forms of them).
_PASS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(obj: Any) -> str:
    """The JSON of an answer's dicts and lists: orjson (a 500-entry queue or a report's rows
    are encoded several times faster than by `json`), with times written by their own
    `isoformat`; anything orjson does not take as `json` would (a key that is not a string, an
    integer past 64 bits, a value with no JSON form) is written by `json` as before. orjson
    writes NaN and infinities as null where `json` wrote `NaN`, which is not JSON."""
    try:
        return orjson.dumps(obj, default=_iso_only, option=_PASS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(obj, default=_iso)


def _iso_only(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    if not callable(iso):
        raise TypeError(f"no JSON form for {type(value).__name__}")
    return str(iso())


def _iso(value: Any) -> str:
    """`json`'s fallback: a time's isoformat, anything else as text."""
    try:
        return _iso_only(value)
    except TypeError:
        return str(value)
