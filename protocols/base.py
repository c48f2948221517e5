"""Shared building blocks of the protocol model: strict models, durations, priorities, problems."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from protocols.durations import format_duration, parse_duration

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]

Channel = Literal["voice", "sms", "chat", "email"]
CHANNELS: tuple[Channel, ...] = ("voice", "sms", "chat", "email")
NotifyTarget = Literal["primary", "backup", "supervisor", "all_on_call", "partner"]
NotifyVia = Literal["sms", "voice", "email", "console"]
Loc = tuple[str | int, ...]

# Standard flags the engine itself acts on; a protocol may declare more.
IMMINENT_DANGER = "imminent_danger"
MINOR = "minor"
VULNERABLE_ADULT = "vulnerable_adult"
HANDLE_WITH_CARE = "handle_with_care"

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class Priority(StrEnum):
    """How urgent a contact is; `rank` orders the queue (lower is served first)."""

    critical = "critical"
    high = "high"
    normal = "normal"
    low = "low"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Priority.critical: 0, Priority.high: 1, Priority.normal: 2, Priority.low: 3}


def most_urgent(a: Priority, b: Priority) -> Priority:
    return a if a.rank <= b.rank else b


class Strict(BaseModel):
    """Frozen and closed: an unknown key in a protocol file is a mistake, not an extension."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Strict):
    """A rule that says which standard it serves and why, so the manual can cite it."""

    standard: str | None = None
    why: str | None = None


class Problem(ValueError):
    """One thing wrong with a protocol, at `loc` (relative to the model that found it)."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class Problems(ValueError):
    """Several problems found at once by a cross-field check; the loader gives each its line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{format_loc(p.loc)}: {p.message}" for p in problems))
        self.problems = problems


def format_loc(loc: Loc) -> str:
    """`('escalation', 1, 'after')` → `escalation[1].after`, the way a person reads the file."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def language_key(language: str | None) -> str | None:
    """`es-MX`, `ES` → `es`: triage and texts are chosen by primary language."""
    if not language:
        return None
    return language.strip().lower().replace("_", "-").split("-")[0] or None


def check_language(value: str) -> str:
    v = value.strip().lower().replace("_", "-")
    if not _LANGUAGE.match(v):
        raise ValueError(f"{value!r} is not a language code: write it like en, es or es-MX")
    return v


Language = Annotated[str, BeforeValidator(lambda v: check_language(v) if isinstance(v, str) else v)]
