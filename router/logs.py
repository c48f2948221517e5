"""Structured JSON logs, with personal data redacted before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

# Keys whose values are personal data wherever they appear.
PII_KEYS = frozenset(
    {
        "from",
        "sender",
        "phone",
        "to",
        "email",
        "body",
        "subject",
        "notes",
        "text",
        "message_body",
        "address",
        "caller",
        "From",
        "To",
        "Body",
    }
)
# A phone number stands alone (not glued to letters or a dash, as in an id or a content hash).
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d\-\s().]{5,}\d(?![\w-])")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# An ISO 8601 date or date-time is a time, not a phone number: it is left as it is.
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
REDACTED = "[redacted]"


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if digits < 7 or _IPV4.match(found.strip()):
        return found  # too short for a phone number, or a network address
    return REDACTED


def scrub(text: str) -> str:
    """Phone numbers and email addresses inside free text become [redacted]."""
    return _PHONE.sub(_phone, _EMAIL.sub(REDACTED, text))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value if _ISO_TIME.match(value) else scrub(value)
    if isinstance(value, dict):
        return {k: REDACTED if k in PII_KEYS else _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop PII keys' values, scrub numbers and addresses from the rest."""
    for key in list(event_dict):
        if key in PII_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _clean(event_dict[key])
    return event_dict


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """JSON lines on stderr (or `stream`), every line redacted."""
    logging.basicConfig(level=level.upper(), stream=stream or sys.stderr, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            redact,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
