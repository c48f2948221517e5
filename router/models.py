"""The router's domain records: contacts, responders, offers, timers and events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticUndefined

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


M = TypeVar("M", bound=BaseModel)


class _Plan(NamedTuple):
    """How `trusted` builds one model class: every field in order with its plain default
    (None where required or made by a factory), the factories, the names, the required ones."""

    template: dict[str, Any]
    factories: tuple[tuple[str, Callable[[], Any]], ...]
    names: frozenset[str]
    required: frozenset[str]
    allow_extra: bool


_PLANS: dict[type[BaseModel], _Plan] = {}

# A pydantic model's four slots, set through their own descriptors (what `object.__setattr__`
# looks up by name on every call): the engine builds ~40 records per simulated contact.
_SLOTS = vars(BaseModel)
set_dict = _SLOTS["__dict__"].__set__
set_extra = _SLOTS["__pydantic_extra__"].__set__
set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
set_private = _SLOTS["__pydantic_private__"].__set__
new_record = object.__new__  # BaseModel defines no __new__ of its own


def _plan(cls: type[BaseModel]) -> _Plan:
    found = _PLANS.get(cls)
    if found is None:
        fields = cls.model_fields
        found = _Plan(
            template={n: None if f.default is PydanticUndefined else f.default for n, f in fields.items()},
            factories=tuple((n, f.default_factory) for n, f in fields.items() if f.default_factory),  # type: ignore[misc]
            names=frozenset(fields),
            required=frozenset(n for n, f in fields.items() if f.is_required()),
            allow_extra=cls.model_config.get("extra") == "allow",
        )
        _PLANS[cls] = found
    return found


def trusted(cls: type[M], **values: Any) -> M:
    """A record the engine builds itself from values that are already ours and already checked
    (the clock's aware time, protocol settings, ids it made), without pydantic validation: the
    same record at about half the cost (validation was ~17% of the simulator's CPU). Never for
    anything that came from outside (API bodies, ContactIn, what a store reads back).

    Like validation: fields not given take their defaults, `model_fields_set` is what was given
    (extras included), extra names go to the model's extras (models that allow them) or are
    refused, and a required field left out is refused."""
    plan = _PLANS.get(cls) or _plan(cls)
    data = plan.template.copy()  # field order kept, as validation keeps it
    for name, factory in plan.factories:
        if name not in values:
            data[name] = factory()
    given = values.keys()
    if not plan.required <= given:
        raise TypeError(f"{cls.__name__} needs {sorted(plan.required - given)[0]!r}")
    extra: dict[str, Any] | None = {} if plan.allow_extra else None
    if given <= plan.names:
        data.update(values)
    else:
        if extra is None:
            raise TypeError(f"{cls.__name__} has no field {sorted(given - plan.names)[0]!r}")
        for k, v in values.items():
            if k in plan.names:
                data[k] = v
            else:
                extra[k] = v
    new = new_record(cls)
    set_dict(new, data)
    set_extra(new, extra)
    set_fields_set(new, set(given))
    set_private(new, None)
    return new


def trusted_full(cls: type[M], data: dict[str, Any], extra: dict[str, Any] | None) -> M:
    """`trusted` for the hottest records (a timeline entry and its stream event on every
    transition): `data` holds every field, in the model's order, and `extra` the extras of a
    model that keeps them (None for one that does not). Nothing is checked: the caller's
    tests compare what it builds with what validation builds."""
    new = new_record(cls)
    set_dict(new, data)
    set_extra(new, extra)
    set_fields_set(new, {*data, *extra} if extra else set(data))
    set_private(new, None)
    return new


def evolve(model: M, changes: dict[str, Any]) -> M:
    """`model.model_copy(update=changes)` without pydantic's generic copy machinery (several
    times the cost, and every transition copies its contact a few times). Trusted internal
    records only: like model_copy, nothing in `changes` is validated."""
    new = new_record(type(model))
    values = model.__dict__.copy()
    values.update(changes)
    extra = model.__pydantic_extra__
    set_dict(new, values)
    set_extra(new, None if extra is None else dict(extra))
    set_fields_set(new, model.__pydantic_fields_set__ | changes.keys())
    set_private(new, model.__pydantic_private__)
    return new


def _empty_list(value: Any) -> Any:
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
    )(_empty_list)

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

    _lists = field_validator("languages", "channels", "skills", mode="before")(_empty_list)

    def capacity_for(self, channel: str) -> int:
        if channel not in self.channels:
            return 0
        return self.capacity.get(channel, DEFAULT_CAPACITY.get(channel, 1))


class TimerKind(StrEnum):
    offer_timeout = "offer_timeout"
    escalate = "escalate"
    breach = "breach"
    shift_change = "shift_change"
    redispatch = "redispatch"
    abandon_grace = "abandon_grace"
    callback = "callback"
    follow_up = "follow_up"
    hold = "hold"
    language_fallback = "language_fallback"
    answer_timeout = "answer_timeout"
    break_end = "break_end"
    # An anonymous count kept until `due` (feedback answers): firing it only forgets it.
    tally = "tally"


class Rung(Model):
    """An escalation step still to come, as the ladder stood when its contact arrived: due
    `after` the contact's arrival (the same for every contact of one protocol version)."""

    step: int
    after: timedelta
    notify: list[str] = Field(default_factory=list)
    via: list[str] = Field(default_factory=list)
    partner: str | None = None


class Timer(Model):
    """A follow-up due at `due`; `token` fences it to the step it belongs to."""

    id: str
    kind: TimerKind
    due: AwareDatetime
    contact_id: str | None = None
    offer_id: str | None = None
    step: int | None = None
    notify: list[str] = Field(default_factory=list)
    via: list[str] = Field(default_factory=list)
    # An escalation step's partner, snapshotted with the ladder the contact climbs.
    partner: str | None = None
    # An escalation step's successors: the step armed when this one fires (one at a time).
    then: list[Rung] = Field(default_factory=list)

    _lists = field_validator("notify", "via", "then", mode="before")(_empty_list)

    @model_serializer(mode="wrap")
    def _without_empty_then(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Only escalation steps with more to come carry `then`: every other timer is written
        # as before the ladder was armed a step at a time.
        data: dict[str, Any] = handler(self)
        if not self.then:
            data.pop("then", None)
        return data


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
