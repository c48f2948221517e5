"""The router's domain records: contacts, responders, offers and events (timers: router/timer_models.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from protocols import Channel, Priority

Presence = Literal["available", "away", "offline"]
NotifyVia = Literal["sms", "voice", "console", "email"]
# Each entry of a skills or flags list, and a language tag (BCP 47 tags are far shorter than 35).
Tag = Annotated[str, Field(min_length=1, max_length=64)]
LanguageTag = Annotated[str, Field(min_length=2, max_length=35)]


class ContactStatus(StrEnum):
    queued = "queued"
    offered = "offered"
    assigned = "assigned"
    answered = "answered"
    closed = "closed"
    abandoned = "abandoned"
    handed_off = "handed_off"


OPEN_STATES = frozenset(
    {ContactStatus.queued, ContactStatus.offered, ContactStatus.assigned, ContactStatus.answered}
)
UNANSWERED_STATES = frozenset({ContactStatus.queued, ContactStatus.offered, ContactStatus.assigned})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def empty_list(value: Any) -> Any:
    # Lua's cjson writes an empty table as {}: read it back as the empty list it was.
    return [] if value == {} else value


class ContactIn(Model):
    """What a channel adapter (or the generic intake API) hands to intake."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: Channel
    sender: str = Field(alias="from", min_length=1, max_length=320)
    body: str | None = Field(default=None, max_length=20_000)
    subject: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, min_length=2, max_length=16)
    skills: list[Tag] = Field(default_factory=list, max_length=16)
    # Flags already known at intake (an IVR key press): triage adds to them.
    flags: list[Tag] = Field(default_factory=list, max_length=16)
    # A callback or follow-up task may carry the priority its rule sets.
    priority: Priority | None = None
    # The channel's own handle for this conversation (Twilio CallSid, chat session, Message-ID).
    ref: str | None = Field(default=None, max_length=500)
    # Set when this contact is a callback task for an earlier missed or abandoned contact.
    callback_for: str | None = Field(default=None, max_length=64)
    # Which attempt of the protocol's callback rule this task is (1, 2, ...).
    attempt: int | None = Field(default=None, ge=1, le=10)


class Message(Model):
    at: AwareDatetime
    direction: Literal["in", "out"]
    body: str
    responder: str | None = None


class TimelineEntry(Model):
    model_config = ConfigDict(extra="allow")

    at: AwareDatetime
    event: str


class Contact(Model):
    id: str
    channel: Channel
    status: ContactStatus
    priority: Priority
    flags: list[str] = Field(default_factory=list)
    language: str | None = None
    skills: list[str] = Field(default_factory=list)
    seq: int
    rev: int = 0
    received_at: AwareDatetime
    deadline: AwareDatetime
    target_s: float
    offered_at: AwareDatetime | None = None
    assigned_at: AwareDatetime | None = None
    answered_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    responder: str | None = None
    offer_ids: list[str] = Field(default_factory=list)
    # Imminent danger: offered to everyone eligible at once instead of one at a time.
    parallel: bool = False
    audience: list[str] = Field(default_factory=lambda: ["primary"])
    # Language no longer limits who is offered it (the protocol's fallback, or the breach).
    language_open: bool = False
    # How to reach an interpreter, shown on offers once language no longer limits them.
    interpreter: str | None = None
    # Opening the protocol asks of a callback task ("is it safe to talk?"), shown to the responder.
    opening: str | None = None
    declined: dict[str, AwareDatetime] = Field(default_factory=dict)
    escalation_level: int = 0
    ladder_step: int = 0
    breached: bool = False
    protocol_version: str
    roster_version: int | None = None
    disposition: str | None = None
    notes: str | None = None
    # What closing recorded beyond the disposition: referral, safety plan, mandated report.
    outcome: dict[str, Any] = Field(default_factory=dict)
    sender: str
    sender_key: str = ""
    ref: str | None = None
    callback_for: str | None = None
    attempt: int = 0
    subject: str | None = None
    messages: list[Message] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)

    _lists = field_validator(
        "flags", "skills", "audience", "messages", "timeline", "offer_ids", mode="before"
    )(empty_list)

    @field_validator("declined", "outcome", mode="before")
    @classmethod
    def _declined(cls, value: Any) -> Any:
        return {} if value == [] else value

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def is_unanswered(self) -> bool:
        return self.status in UNANSWERED_STATES


class OfferStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    cancelled = "cancelled"


class Offer(Model):
    id: str
    contact_id: str
    responder: str
    channel: Channel
    priority: Priority
    status: OfferStatus = OfferStatus.pending
    created_at: AwareDatetime
    expires_at: AwareDatetime
    resolved_at: AwareDatetime | None = None


DEFAULT_CAPACITY: dict[Channel, int] = {"voice": 1, "sms": 3, "chat": 3, "email": 5}
ALL_CHANNELS: list[Channel] = ["voice", "sms", "chat", "email"]


class ResponderIn(Model):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    languages: list[LanguageTag] = Field(default_factory=lambda: ["en"], max_length=32)
    channels: list[Channel] = Field(default_factory=lambda: list(ALL_CHANNELS), max_length=4)
    capacity: dict[Channel, int] = Field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    skills: list[Tag] = Field(default_factory=list, max_length=64)
    notify_via: NotifyVia = "console"

    @field_validator("capacity")
    @classmethod
    def _non_negative(cls, value: dict[Channel, int]) -> dict[Channel, int]:
        for channel, n in value.items():
            if n < 0 or n > 100:
                raise ValueError(f"capacity for {channel} must be between 0 and 100")
        return value


class ContactChange(Model):
    """A responder's own change of phone or email, waiting for the code sent to the new address."""

    field: Literal["phone", "email"]
    value: str
    notify_via: NotifyVia | None = None
    code_hash: str
    nonce: str
    expires_at: AwareDatetime
    requested_by: str


class Responder(ResponderIn):
    id: str
    # Never shown by the API: the address being confirmed and the code's keyed hash.
    pending_change: ContactChange | None = None

    _lists = field_validator("languages", "channels", "skills", mode="before")(empty_list)

    def capacity_for(self, channel: str) -> int:
        if channel not in self.channels:
            return 0
        return self.capacity.get(channel, DEFAULT_CAPACITY.get(channel, 1))


class Event(Model):
    """One transition, as appended to the event stream."""

    model_config = ConfigDict(extra="allow")

    at: AwareDatetime
    event: str
    contact_id: str | None = None
    status: str | None = None


class Activation(Model):
    """One protocol version put in force: when, by whom."""

    version: str
    name: str
    activated_at: AwareDatetime
    activated_by: str


class FeedRecord(Model):
    """A secret calendar feed URL: a roster, optionally one responder's shifts only."""

    roster: str
    responder: str | None = None
    created_at: datetime | None = None
    label: str | None = None


class TokenRecord(Model):
    """A bearer token, stored under its SHA-256 (and, without the hash's secret, under "id:<id>").

    Records from before named tokens have no id, person or expiry."""

    role: Literal["responder", "scheduler", "manager", "admin"]
    responder: str | None = None
    label: str | None = None
    created_at: datetime | None = None
    id: str | None = None
    person: str | None = None
    created_by: str | None = None
    expires_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None
    revoked_by: str | None = None
    # Only on the "id:<id>" record: which hash record to revoke with it.
    token_hash: str | None = None
    # Only on the listing record (router/tokens.py): every token id issued, oldest first.
    ids: list[str] = Field(default_factory=list)
