"""The operations protocol as validated data: targets, escalation ladder, triage."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationStep(Strict):
    """At `after` (from arrival) an unanswered contact widens to `notify`, paged by `via`."""

    after: Duration
    notify: list[NotifyTarget] = Field(min_length=1)
    via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["console"]))


class TriageRule(Strict):
    """Keywords (whole words or phrases, any case) in the message set a priority and flags."""

    name: str
    keywords: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    language: str | None = None
    priority: Priority = Priority.high
    flags: list[str] = Field(default_factory=list)

    def matches(self, channel: str, text: str, language: str | None) -> bool:
        if self.channels and channel not in self.channels:
            return False
        if self.language and language and self.language != language:
            return False
        if not self.keywords:
            return bool(self.channels)
        lowered = text.lower()
        return any(re.search(r"(?<!\w)" + re.escape(k.lower()) + r"(?!\w)", lowered) for k in self.keywords)


class Triage(BaseModel):
    priority: Priority
    flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


class Protocol(Strict):
    """The hotline's written operations protocol, as routing obeys it."""

    name: str = "default"
    response_target: Duration = timedelta(minutes=20)
    offer_timeout: Duration = timedelta(seconds=60)
    default_priority: Priority = Priority.normal
    breach_notify: list[NotifyTarget] = Field(default_factory=lambda: list[NotifyTarget](["all_on_call"]))
    breach_via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["console"]))
    escalation: list[EscalationStep] = Field(default_factory=list)
    triage: list[TriageRule] = Field(default_factory=list)
    dispositions: list[str] = Field(
        default_factory=lambda: [
            "support_given",
            "referral",
            "information",
            "safety_plan",
            "wrong_number",
            "prank",
            "other",
        ]
    )
    messages: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ladder_in_order(self) -> Protocol:
        if self.offer_timeout <= timedelta(0):
            raise ValueError("offer_timeout must be longer than 0s")
        if self.response_target <= timedelta(0):
            raise ValueError("response_target must be longer than 0s")
        afters = [s.after for s in self.escalation]
        if afters != sorted(afters):
            raise ValueError("escalation steps must be in order of `after`")
        return self

    @property
    def version(self) -> str:
        """Content address: the same rules always have the same version."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return "p-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def classify(self, channel: str, text: str, language: str | None) -> Triage:
        """Apply the triage rules: the most urgent matching rule sets the priority."""
        priority = self.default_priority
        flags: list[str] = []
        names: list[str] = []
        for rule in self.triage:
            if rule.matches(channel, text, language):
                priority = min(priority, rule.priority, key=lambda p: p.rank)
                names.append(rule.name)
                flags.extend(f for f in rule.flags if f not in flags)
        return Triage(priority=priority, flags=tuple(flags), rules=tuple(names))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
