"""The one error shape of the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from router.errors import RouterError

M = TypeVar("M", bound=BaseModel)


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


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(422, "invalid_json", f"the request body is not valid JSON ({exc})") from exc
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
