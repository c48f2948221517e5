"""Looking after the people who answer: wrap-up, answer timeout, debriefs (Standard 31), feedback."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from protocols.base import (
    IMMINENT_DANGER,
    Channel,
    Cited,
    Duration,
    Language,
    NotifyTarget,
    NotifyVia,
    Problem,
    language_key,
)

if TYPE_CHECKING:
    # Only for the annotation: `check` calls staff_warnings with a validated Protocol.
    from protocols.model import Protocol


def _default_after() -> list[str]:
    return [IMMINENT_DANGER, "trafficking"]


class Debrief(Cited):
    """Standard 31 (exceeds): after a contact with one of `after` (flags or dispositions) closes,
    the responder is offered an immediate debrief: `page` is paged by `via`, and the responder
    may take a break of `break_for` before the next offer."""

    after: list[str] = Field(default_factory=_default_after, min_length=1)
    page: list[NotifyTarget] = Field(default_factory=lambda: list[NotifyTarget](["supervisor"]))
    via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["console"]))
    break_for: Duration = timedelta(minutes=15)

    @field_validator("break_for")
    @classmethod
    def _short_enough(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > timedelta(hours=4):
            raise ValueError("must be between 1s and 4h: write it like 15m")
        return value

    def applies(self, flags: list[str], disposition: str | None) -> bool:
        return bool(set(self.after) & {*flags, *([disposition] if disposition else [])})


def _default_scale() -> list[str]:
    return ["1", "2", "3", "4", "5"]


class Feedback(Cited):
    """One optional question at the end of a text contact; the answer is counted by day with
    no link to the person or the contact."""

    question: dict[Language, str] = Field(min_length=1)
    scale: list[str] = Field(default_factory=_default_scale, min_length=2, max_length=10)
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["sms", "chat"]), min_length=1)
    # Texting someone after the conversation can alert an abuser who reads their phone.
    skip_flags: list[str] = Field(default_factory=lambda: ["handle_with_care"])

    @field_validator("scale")
    @classmethod
    def _answers(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip().lower() for v in value]
        if any(not v or len(v) > 20 or " " in v for v in cleaned) or len(set(cleaned)) != len(cleaned):
            raise ValueError("answers are distinct single words of at most 20 characters, like 1 to 5")
        return cleaned

    @field_validator("channels")
    @classmethod
    def _text_only(cls, value: list[Channel]) -> list[Channel]:
        if "voice" in value or "email" in value:
            raise ValueError("feedback is asked on sms and chat only")
        return value

    def answer(self, body: str) -> str | None:
        """The scale answer a reply is, or None when it is not one."""
        word = body.strip().strip(".!").lower()
        return word if word in self.scale else None


class StaffRules(Cited):
    """The protocol's rules about responders' time (mixed into the Protocol model)."""

    wrap_up: Duration = timedelta(minutes=2)
    answer_timeout: Duration = timedelta(minutes=3)
    debrief: Debrief | None = None
    feedback: Feedback | None = None

    @field_validator("wrap_up")
    @classmethod
    def _wrap_up(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value > timedelta(hours=1):
            raise ValueError("must be between 0s and 1h: write it like 2m (0s for none)")
        return value

    @field_validator("answer_timeout")
    @classmethod
    def _answer_timeout(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=10):
            raise ValueError("must be at least 10s: write it like 3m")
        return value


def staff_warnings(p: Protocol) -> list[Problem]:
    """Doubtful staff settings: a debrief trigger nothing can match, a feedback question
    missing in a language the hotline answers in, a partner entry never verified."""
    out: list[Problem] = []
    if p.debrief is not None:
        known = set(p.flags) | set(p.dispositions)
        for i, name in enumerate(p.debrief.after):
            if name not in known:
                out.append(
                    Problem(("debrief", "after", i), f"{name!r} is neither a declared flag nor a disposition")
                )
    if p.feedback is not None:
        asked = {language_key(k) for k in p.feedback.question}
        for lang in p.languages:
            if language_key(lang) not in asked:
                out.append(
                    Problem(("feedback", "question"), f"no question in {lang}: the fallback language is used")
                )
    for i, partner in enumerate(p.partners):
        if partner.last_verified is None:
            out.append(
                Problem(
                    ("partners", i, "last_verified"), "never verified: listed as due for review until it is"
                )
            )
    return out
