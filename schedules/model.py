"""Rosters as data: shifts with a role, drafts and published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal["primary", "backup", "supervisor"]
ROLES: tuple[Role, ...] = ("primary", "backup", "supervisor")


class Shift(BaseModel):
    """One responder on call in one role for [start, end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    responder: str = Field(min_length=1, max_length=128)
    role: Role
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Shift:
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts")
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


class Roster(BaseModel):
    """A roster draft as the scheduler wrote it, in its own time zone."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    shifts: list[Shift] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name like America/New_York") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Gap(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


Rating = Literal["exceeds", "meets", "does_not_meet"]


class Coverage(BaseModel):
    """Standard 32: gaps in primary and backup coverage over a window, and the rating."""

    start: datetime
    end: datetime
    primary_gaps: list[Gap]
    backup_gaps: list[Gap]
    rating: Rating

    @property
    def primary_gap_s(self) -> float:
        return sum(g.seconds for g in self.primary_gaps)

    @property
    def backup_gap_s(self) -> float:
        return sum(g.seconds for g in self.backup_gaps)


class RosterVersion(BaseModel):
    """An immutable published roster: what routing obeys from `published_at` on."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    timezone: str
    shifts: tuple[Shift, ...]
    window_start: datetime
    window_end: datetime
    published_at: datetime
    published_by: str
    forced: bool = False
    reason: str | None = None
