"""Domain errors that the API turns into 404, 409 and 422 answers."""

from __future__ import annotations

from typing import Any


class RouterError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(RouterError):
    status = 404
    code = "not_found"


class InvalidState(RouterError):
    """The transition is not allowed from the current state (409)."""

    status = 409
    code = "conflict"


class Invalid(RouterError):
    """Input that passed parsing but is not acceptable (422), naming the field."""

    status = 422
    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", [{"loc": field.split("."), "msg": message}])

    @classmethod
    def many(cls, problems: list[tuple[str, ...]]) -> Invalid:
        """Several fields wrong at once: every one named in the details."""
        first = cls(problems[0][0], problems[0][-1])
        first.message = "; ".join(": ".join(p) for p in problems)
        first.details = [{"loc": p[0].split("."), "msg": p[-1]} for p in problems]
        return first


class Forbidden(RouterError):
    status = 403
    code = "forbidden"
