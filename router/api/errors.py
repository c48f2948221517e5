"""The one error shape of the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from router import safejson
from router.errors import RouterError

M = TypeVar("M", bound=BaseModel)
# The application's client_max_size: every body read through aiohttp stops here with a 413.
MAX_BODY = 1024 * 1024


class ApiError(RouterError):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message, details)
        self.status = status
        self.code = code


def error_response(status: int, code: str, message: str, details: Any = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "details": details}}
    return web.json_response(body, status=status)


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Field locations and messages only: the offending input is never echoed (it may be PII)."""
    return [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "too_large",
        f"the request body is over the limit of {limit} bytes",
        [{"loc": ["body"], "msg": f"at most {limit} bytes"}],
    )


async def read_body(request: web.Request) -> bytes:
    """The whole body, up to the application's client_max_size (413 in the error format above it)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(MAX_BODY) from exc


def json_of_body(raw: bytes) -> Any:
    """The parsed body; 422 naming the depth limit for a deeply nested one, never a RecursionError."""
    try:
        return safejson.loads(raw or b"null")
    except safejson.TooDeep as exc:
        raise ApiError(
            422,
            "too_deep",
            f"the request body nests arrays and objects deeper than {exc.limit} levels",
            [{"loc": ["body"], "msg": f"nesting depth at most {exc.limit}"}],
        ) from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ApiError(422, "invalid_json", f"the request body is not valid JSON ({exc})") from exc


async def parse_body(request: web.Request, model: type[M]) -> M:
    data = json_of_body(await read_body(request))
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "invalid_body",
            "the request body must be a JSON object",
            [{"loc": [], "msg": "expected an object"}],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        fields = ", ".join(".".join(d["loc"]) or "(body)" for d in details)
        raise ApiError(422, "validation_failed", f"invalid field(s): {fields}", details) from exc
