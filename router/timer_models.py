"""A contact's timers and the escalation rungs they carry: its follow-ups, kept apart from its record."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from router.models import Model, empty_list


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
    # Pages a write has promised (escalation, breach, danger, debrief), armed in that write and
    # cleared when they are sent: it fires only when the instance died before sending them.
    pages = "pages"


def _empty(value: list[Any]) -> bool:
    return not value


def _none(value: object) -> bool:
    return value is None


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
    # Only escalation steps with more to come carry `then`, and only owed pages a `reason`:
    # every other timer is written as before either existed. Left out field by field by the
    # serializer itself (a wrap serializer around the whole model cost 60% more per dump; three
    # timers are written with every contact taken in, one with every escalation).
    then: list[Rung] = Field(default_factory=list, exclude_if=_empty)
    # Owed pages: why they are sent (escalation, breach, imminent_danger, debrief).
    reason: str | None = Field(default=None, exclude_if=_none)

    _lists = field_validator("notify", "via", "then", mode="before")(empty_list)
