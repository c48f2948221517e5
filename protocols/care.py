"""After the first answer: callbacks, dispositions, mandated reporting, referral partners, retention."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator

from protocols.base import (
    MINOR,
    VULNERABLE_ADULT,
    Channel,
    Cited,
    Duration,
    Language,
    Priority,
    Strict,
)
from protocols.hours import TimeWindow, within

CallbackReason = Literal["abandoned", "missed", "after_hours"]
CALLBACK_REASONS: tuple[CallbackReason, ...] = ("abandoned", "missed", "after_hours")
CloseField = Literal["notes", "referral", "safety_plan", "mandated_report"]
CLOSE_FIELDS: tuple[CloseField, ...] = ("notes", "referral", "safety_plan", "mandated_report")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _identifier(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not an id: use lower-case letters, digits, - and _ (like legal-aid)")
    return value


PHONE_CHANNELS = ("voice", "sms")


class CallbackRule(Cited):
    """A contact that was `when` (on `channels`) gets a callback task: due, attempts, spacing, channel."""

    when: list[CallbackReason] = Field(min_length=1)
    channels: list[Channel] = Field(default_factory=list)
    due_after: Duration = timedelta(minutes=5)
    attempts: int = Field(default=3, ge=1, le=10)
    spacing: Duration = timedelta(minutes=30)
    use: Literal["same", "voice", "sms", "chat", "email"] = "same"
    priority: Priority = Priority.high
    # Calling a number back can alert an abuser; only call if the person left no sign it is unsafe.
    only_if_safe: bool = True

    def applies(self, reason: str, channel: str) -> bool:
        return reason in self.when and (not self.channels or channel in self.channels)

    def due_times(self, since: datetime) -> list[datetime]:
        """When each attempt is due, counted from the moment the contact was missed or abandoned."""
        first = since + self.due_after
        return [first + i * self.spacing for i in range(self.attempts)]

    def channel_for(self, original: Channel) -> Channel:
        """The channel of the callback. `use` can only change the channel within the address
        the person left: a phone number serves a call or a text, but someone who chatted or
        emailed left no number (and a chat cannot be opened from our side), so they are called
        back on the channel they used."""
        if self.use == "same":
            return original
        if self.use in PHONE_CHANNELS and original in PHONE_CHANNELS:
            return self.use
        return original


class DispositionRule(Cited):
    """What closing with this disposition must record."""

    label: str | None = None
    means: str | None = None
    requires: list[CloseField] = Field(default_factory=list)


class ChecklistItem(Strict):
    key: str
    ask: str
    required: bool = True

    check_key = field_validator("key")(_identifier)


class Agency(Strict):
    name: str
    for_flags: list[str] = Field(default_factory=list)
    phone: str | None = None
    web: str | None = None


def _default_checklist() -> list[ChecklistItem]:
    return [
        ChecklistItem(key="what", ask="What was reported (the concern, in brief)?"),
        ChecklistItem(key="to", ask="To whom (agency and person)?"),
        ChecklistItem(key="when", ask="When was the report made (date and time)?"),
        ChecklistItem(key="reference", ask="Report or case number, if given.", required=False),
        ChecklistItem(key="client_informed", ask="Was the person told a report was made, and why?"),
    ]


class MandatedReporting(Cited):
    """Standard 30: when a contact carries one of `when_flags`, closing needs this checklist,
    and the contact must be closed with it within `deadline` of its arrival (the ledger rates
    a later close, or a flagged contact still open past it, as not meeting the standard)."""

    when_flags: list[str] = Field(default_factory=lambda: [MINOR, VULNERABLE_ADULT])
    checklist: list[ChecklistItem] = Field(default_factory=_default_checklist, min_length=1)
    agencies: list[Agency] = Field(default_factory=list)
    deadline: Duration = timedelta(hours=24)

    @field_validator("deadline")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        # A zero deadline would rate every flagged contact late the moment it arrived.
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s: write it like 24h or 3d")
        return value


class Partner(Cited):
    """A service the hotline refers to or overflows to: what it does, when, in which languages, how."""

    id: str
    name: str
    services: list[str] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    hours: list[TimeWindow] = Field(default_factory=list)
    phone: str | None = None
    sms: str | None = None
    email: str | None = None
    web: str | None = None
    transfer_to: str | None = None
    overflow: bool = False
    notes: str | None = None
    # The directory is only useful if kept current: when the entry was last checked with the
    # partner, and how often it must be checked again.
    last_verified: date | None = None
    review_every: Duration = timedelta(days=180)

    check_id = field_validator("id")(_identifier)

    def review_due(self) -> date | None:
        """The day this entry must be checked again (None: never verified, so due now)."""
        if self.last_verified is None:
            return None
        return self.last_verified + timedelta(days=max(1, self.review_every.days))

    def is_stale(self, today: date) -> bool:
        due = self.review_due()
        return due is None or due <= today

    def is_open(self, local: datetime) -> bool:
        return not self.hours or within(self.hours, local)

    def details(self) -> dict[str, str]:
        """The placeholder values a handoff message uses ({partner}, {phone}, ...)."""
        out = {"partner": self.name, "hours": self.hours_text()}
        for key in ("phone", "sms", "email", "web"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    def hours_text(self) -> str:
        return "24/7" if not self.hours else "; ".join(w.describe() for w in self.hours)


class ReferralFollowUp(Cited):
    """Standards 23/35: after a referral or handoff, confirm the person was taken on."""

    after: Duration = timedelta(days=3)
    attempts: int = Field(default=2, ge=1, le=10)
    spacing: Duration = timedelta(days=2)
    confirm_with: Literal["partner", "person", "either"] = "either"
    handoffs_too: bool = True
    # Closing a follow-up task with `confirm_disposition` stops the attempts; with
    # `unconfirmed_disposition` the next attempt is scheduled `spacing` later.
    confirm_disposition: str = "referral_confirmed"
    unconfirmed_disposition: str = "referral_unconfirmed"

    def due_times(self, since: datetime) -> list[datetime]:
        first = since + self.after
        return [first + i * self.spacing for i in range(self.attempts)]


class Retention(Cited):
    """Standards 9/11/12/15: how long each kind of record is kept before purge or anonymisation."""

    personal_data: Duration = timedelta(days=90)
    contact_records: Duration = timedelta(days=3 * 365)
    access_audit: Duration = timedelta(days=3 * 365)
