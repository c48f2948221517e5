"""Shifts, gaps and the Standard 32 coverage verdict: the value types every other module shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, model_validator

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
            raise ValueError(
                f"a shift must end after it starts (start {self.start.isoformat()}, "
                f"end {self.end.isoformat()})"
            )
        return self

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def length_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def key(self) -> tuple[str, Role, datetime, datetime]:
        """Identity for comparing and sorting: the same responder, role and instants (in UTC)."""
        return (self.responder, self.role, self.start.astimezone(UTC), self.end.astimezone(UTC))


class Gap(BaseModel):
    """A stretch of [start, end) that nobody covers."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    # The standard asks for the length of every gap, so it travels with the gap in JSON.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def minutes(self) -> float:
        return self.seconds / 60


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
