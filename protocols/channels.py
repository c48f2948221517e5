"""What each channel tells the person, per language: greeting, hold, auto-reply, after hours, capacity."""

from __future__ import annotations

import string
from typing import Literal, get_args

from pydantic import Field, field_validator

from protocols.base import Cited, Duration, Language, Problem
from protocols.hours import TimeWindow

TextKind = Literal[
    "greeting", "hold", "auto_reply", "after_hours", "at_capacity", "danger", "partner_handoff", "callback"
]
TEXT_KINDS: tuple[TextKind, ...] = get_args(TextKind)
# Placeholders a text may use; the router fills them in (unknown ones are caught when the file loads).
PLACEHOLDERS = ("hotline", "partner", "phone", "sms", "email", "web", "hours")
Texts = dict[Language, str]

TEXT_MEANING: dict[TextKind, str] = {
    "greeting": "when the contact arrives",
    "hold": "while the person waits, repeated every hold interval",
    "auto_reply": "as the automatic first reply",
    "after_hours": (
        "instead of the greeting or automatic reply when the contact arrives outside open hours "
        "(it is still queued and answered as soon as someone can)"
    ),
    "at_capacity": (
        "instead of the ordinary first reply (on a call, instead of the hold message) when nobody "
        "on call is free to take the contact and enough contacts are waiting"
    ),
    "danger": (
        "at once, instead of the ordinary reply, when triage (or the voice danger key) finds imminent danger"
    ),
    "partner_handoff": "when the contact is handed to a partner hotline",
    "callback": (
        "as the opening of a callback: shown to the responder on the offer, and sent first by text "
        "or email when the responder takes it"
    ),
}
# Which texts and settings the engine uses on each channel; anything else is refused when the
# file loads, so the protocol never promises what the phone system does not do.
USED: dict[str, frozenset[str]] = {
    "voice": frozenset(
        {
            "greeting",
            "hold",
            "hold_interval",
            "after_hours",
            "at_capacity",
            "danger",
            "danger_key",
            "partner_handoff",
            "callback",
        }
    ),
    "sms": frozenset({"auto_reply", "after_hours", "at_capacity", "danger", "partner_handoff", "callback"}),
    "email": frozenset({"auto_reply", "after_hours", "at_capacity", "danger", "partner_handoff", "callback"}),
    "chat": frozenset(
        {
            "greeting",
            "auto_reply",
            "hold",
            "hold_interval",
            "after_hours",
            "at_capacity",
            "danger",
            "partner_handoff",
            "callback",
        }
    ),
}
ALWAYS = frozenset({"standard", "why", "open_hours", "at_capacity_waiting"})


def _check_placeholders(texts: dict[str, str]) -> dict[str, str]:
    for lang, text in texts.items():
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            raise Problem(
                (lang,), f"unbalanced braces ({exc}); write a literal brace as {{{{ or }}}}"
            ) from exc
        for name in names:
            if name not in PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise Problem((lang,), f"unknown placeholder {{{name}}}; allowed: {allowed}")
    return texts


class ChannelSettings(Cited):
    """One channel's texts (language → text) and hours; empty `open_hours` means open 24/7."""

    greeting: Texts = Field(default_factory=dict)
    hold: Texts = Field(default_factory=dict)
    hold_interval: Duration | None = None
    auto_reply: Texts = Field(default_factory=dict)
    after_hours: Texts = Field(default_factory=dict)
    at_capacity: Texts = Field(default_factory=dict)
    at_capacity_waiting: int | None = Field(default=None, ge=1)
    danger: Texts = Field(default_factory=dict)
    partner_handoff: Texts = Field(default_factory=dict)
    callback: Texts = Field(default_factory=dict)
    open_hours: list[TimeWindow] = Field(default_factory=list)
    # Voice only: the key a caller presses at the greeting to say they are in danger now.
    danger_key: str | None = Field(default=None, pattern=r"^[0-9*#]$")

    check_placeholders = field_validator(*TEXT_KINDS)(_check_placeholders)

    def texts(self, kind: TextKind) -> dict[str, str]:
        value: dict[str, str] = getattr(self, kind)
        return value


def fill(text: str, values: dict[str, str]) -> str:
    """Fill placeholders; one the caller did not supply becomes empty rather than `{name}`."""
    return string.Formatter().vformat(text, (), _Blank(values))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
