"""Structured JSON logs, with personal data redacted before anything is written."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from router.clock import SystemClock

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
        # With no "@" (no email) and no phone number, scrubbing would change nothing: ids, names
        # of events and routes, most of every line, pass with one search. An id's digit runs
        # follow a letter or "_", which a phone number never does.
        if "@" not in value and _PHONE.search(value) is None:
            return value
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


def _foreign(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Lines from stdlib loggers (aiohttp, APScheduler, asyncio): named by logger. aiohttp's
    messages may quote a raw request (a feed secret in a path, a token, a number), so only their
    message template is kept and an exception is named by its type, never its text."""
    record = event_dict.get("_record")
    if isinstance(record, logging.LogRecord):
        event_dict["logger"] = record.name
        if record.name.startswith("aiohttp"):
            event_dict["event"] = str(record.msg)
            exc = event_dict.pop("exc_info", None) or record.exc_info
            if isinstance(exc, tuple) and exc[0] is not None:
                event_dict["error"] = exc[0].__name__
            record.exc_info = None
            record.exc_text = None
    return event_dict


_announce_to: list[TextIO] = []
# A log line is stamped with the time it was written (the wall clock, through the seam), whatever
# clock the engine runs on.
_WALL = SystemClock()


def announce(event: str, **fields: Any) -> None:
    """A line shown whatever the level (the service is up, and where): JSON like every other."""
    line = dict(redact(None, "notice", {"event": event, "level": "notice", **fields}))
    line["timestamp"] = _WALL.now().isoformat().replace("+00:00", "Z")
    print(json.dumps(line, sort_keys=True), file=(_announce_to or [sys.stderr])[0], flush=True)


class _Handler(logging.StreamHandler[TextIO]):
    """Ours, so configuring again replaces it and leaves other handlers (pytest's) alone."""


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """JSON lines on stderr (or `stream`), every line redacted: structlog's own loggers and every
    stdlib logger (aiohttp, APScheduler, asyncio) through the same processors."""
    out = stream or sys.stderr
    _announce_to[:] = [out]
    number = logging.getLevelName(level.upper())
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_log_level, _foreign, stamp],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )
    handler = _Handler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)
    logging.captureWarnings(True)  # Python warnings too: as JSON lines, never bare text on stderr
    # APScheduler says "Running job ..." and "executed successfully" on every run: off unless debugging.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if number <= logging.DEBUG else logging.WARNING)
    # aiosqlite's debug lines quote every SQL call with its parameters, the ledger's rows (an
    # audit entry's actor and address among them): never written, whatever the level.
    logging.getLogger("aiosqlite").setLevel(max(number, logging.INFO))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            redact,
            stamp,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
