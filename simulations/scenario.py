"""The scenario file (YAML) as validated data: who is on call, what arrives, how people behave."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from protocols import CHANNELS, Channel, Protocol, default_protocol, load_protocol
from router.models import DEFAULT_CAPACITY
from schedules import Role, Roster, Shift, known_zone
from simulations.distributions import Constant, Dist, seconds_of

WEEK_HOURS = 168
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Seconds = Annotated[float, BeforeValidator(seconds_of)]


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _week_profile(value: object) -> object:
    """A rate per hour: one number, 24 (the same every day) or 168 (Monday 00:00 first)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)] * WEEK_HOURS
    if isinstance(value, list) and len(value) == 24:
        return value * 7
    if isinstance(value, list) and len(value) != WEEK_HOURS:
        raise ValueError(f"give one rate, 24 (per hour of day) or 168 (per hour of week), not {len(value)}")
    return value


WeekProfile = Annotated[list[Annotated[float, Field(ge=0)]], BeforeValidator(_week_profile)]


class Responders(Strict):
    """What every simulated responder can do; `count` puts that many on call all the time."""

    count: int | None = Field(default=None, ge=1, le=1000)
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS))
    capacity: dict[Channel, int] = Field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    languages: list[str] = Field(default_factory=lambda: ["en"])


def _clock_time(value: object) -> object:
    if isinstance(value, str) and value.strip() == "24:00":
        return None  # midnight at the end of the day
    if isinstance(value, int):  # YAML 1.1 reads 02:00 unquoted as a sexagesimal number of minutes
        return time(value // 60, value % 60)
    return value


class WeeklyShift(Strict):
    """A shift that repeats every week, in the scenario's time zone. An `end` at or before
    `start` runs past midnight into the next day."""

    role: Role = "primary"
    days: list[Day] = Field(default_factory=lambda: list[Day](DAYS))
    start: Annotated[time | None, BeforeValidator(_clock_time)] = time(0)
    end: Annotated[time | None, BeforeValidator(_clock_time)] = None
    count: int = Field(default=1, ge=1, le=1000)
    responders: list[str] = Field(default_factory=list)

    def names(self, index: int) -> list[str]:
        return self.responders or [f"{self.role[0]}{index + 1}-{k + 1}" for k in range(self.count)]


class RosterSpec(Strict):
    """Weekly patterns, absolute shifts, or both (an absolute roster is what a draft looks like)."""

    weekly: list[WeeklyShift] = Field(default_factory=list)
    shifts: list[Shift] = Field(default_factory=list)


class Behaviour(Strict):
    """How responders answer an offer: after `react` they accept (probability `accept`) or
    decline; with probability `no_answer` they never react and the offer times out.
    `answer_delay` runs from accepting to the bridge or first reply."""

    react: Dist = Field(default_factory=lambda: Constant(value=0.0))
    accept: float = Field(default=1.0, ge=0, le=1)
    no_answer: float = Field(default=0.0, ge=0, le=1)
    answer_delay: Dist = Field(default_factory=lambda: Constant(value=0.0))


class Scenario(Strict):
    """One simulated hotline. See simulations/README.md for every key."""

    name: str = "scenario"
    start: AwareDatetime = datetime(2026, 1, 5, tzinfo=UTC)
    timezone: str = "UTC"
    days: float = Field(default=7.0, gt=0)
    warmup: Seconds = 86_400.0
    drain: Seconds = 86_400.0
    seed: int = 1
    protocol: Protocol = Field(default_factory=default_protocol)
    responders: Responders = Field(default_factory=Responders)
    roster: RosterSpec | None = None
    arrivals: dict[Channel, WeekProfile] = Field(min_length=1)
    handle: dict[Channel, Dist]
    patience: dict[Channel, Dist] = Field(default_factory=dict)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    thresholds: list[Seconds] = Field(default_factory=lambda: [60.0, 300.0, 600.0, 1200.0])
    batches: int = Field(default=10, ge=2, le=1000)
    target_pct: float = Field(default=99.5, gt=0, le=100)

    _zone = field_validator("timezone")(staticmethod(known_zone))

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        missing = [ch for ch in self.arrivals if ch not in self.handle]
        if missing:
            raise ValueError(f"handle: give a handle-time distribution for {', '.join(missing)}")
        if (self.roster is None) == (self.responders.count is None):
            raise ValueError("give either responders.count (always on call) or a roster, not both or neither")
        if self.behaviour.accept == 0 and self.behaviour.no_answer < 1:
            raise ValueError("behaviour.accept is 0: nobody would ever answer")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hour_of_week(self, at: datetime) -> int:
        local = at.astimezone(self.zone)
        return local.weekday() * 24 + local.hour

    def rate_per_hour(self, channel: str, how: int) -> float:
        profile = self.arrivals.get(channel)  # type: ignore[call-overload]
        return float(profile[how]) if profile else 0.0

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The roster as absolute shifts covering [start, end)."""
        if self.roster is None:
            assert self.responders.count is not None
            return [
                Shift(responder=f"r{k + 1}", role="primary", start=start, end=end)
                for k in range(self.responders.count)
            ]
        found = list(self.roster.shifts)
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        n_days = (end - start).days + 3
        for i, weekly in enumerate(self.roster.weekly):
            for d in range(n_days):
                day = first + timedelta(days=d)
                if DAYS[day.weekday()] not in weekly.days:
                    continue
                s, e = self._span(day, weekly.start, weekly.end)
                if e <= start or s >= end:
                    continue
                found += [Shift(responder=n, role=weekly.role, start=s, end=e) for n in weekly.names(i)]
        return found

    def _span(self, day: date, start: time | None, end: time | None) -> tuple[datetime, datetime]:
        zone = self.zone
        s = datetime.combine(day, start or time(0), zone)
        e_day = day + timedelta(days=1) if end is None or end <= (start or time(0)) else day
        e = datetime.combine(e_day, end or time(0), zone)
        return s.astimezone(UTC), e.astimezone(UTC)


def parse_scenario(data: Any, source: str = "<scenario>", base: Path | None = None) -> Scenario:
    """Validate a scenario mapping; `protocol: PATH` and `roster: {file: PATH}` are read from `base`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping of keys to values")
    data = dict(data)
    base = base or Path.cwd()
    proto = data.get("protocol")
    try:
        if proto is None or proto == "default":
            data.pop("protocol", None)
        elif isinstance(proto, str):
            data["protocol"] = load_protocol(base / proto)
        roster = data.get("roster")
        if isinstance(roster, dict) and "file" in roster:
            roster = dict(roster)
            path = base / str(roster.pop("file"))
            loaded = Roster.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            roster["shifts"] = [*roster.get("shifts", []), *loaded.shifts]
            data["roster"] = roster
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ScenarioError(f"{source}: {problems}") from exc
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{source}: {exc}") from exc


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{p}: not valid YAML: {exc}") from exc
    return parse_scenario(data, str(p), p.parent)
