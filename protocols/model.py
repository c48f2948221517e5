"""The operations protocol as validated data: targets, ladder, triage, channels, closing, referrals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from protocols.base import (
    CHANNELS,
    HANDLE_WITH_CARE,
    IMMINENT_DANGER,
    MINOR,
    VULNERABLE_ADULT,
    Channel,
    Cited,
    Duration,
    Language,
    NotifyTarget,
    NotifyVia,
    Priority,
    Problems,
    language_key,
)
from protocols.care import (
    CallbackRule,
    CloseField,
    DispositionRule,
    MandatedReporting,
    Partner,
    ReferralFollowUp,
    Retention,
)
from protocols.channels import ChannelSettings, TextKind, fill
from protocols.closing import close_problems, requirements
from protocols.consistency import cross_field_problems
from protocols.hours import localize
from protocols.promises import Holiday, LanguageFallback, holiday_on
from protocols.staffing import StaffRules
from protocols.triage import DangerResponse, FlagSpec, Triage, TriageRule, run_triage

__all__ = ["CHANNELS", "Channel", "EscalationStep", "NotifyTarget", "NotifyVia", "Priority", "Protocol"]

# The Protocol's cached properties: a copy with changes works them out again.
CACHED = ("version", "repeat_window")


class EscalationStep(Cited):
    """At `after` (from arrival) an unanswered contact widens to `notify`, paged by `via`."""

    after: Duration
    notify: list[NotifyTarget] = Field(min_length=1)
    via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["console"]))
    partner: str | None = None


def _builtin_flags() -> dict[str, FlagSpec]:
    return {
        IMMINENT_DANGER: FlagSpec(label="Imminent danger", priority=Priority.critical, handoff=True),
        MINOR: FlagSpec(label="Minor (under 18)", priority=Priority.high, handoff=True),
        VULNERABLE_ADULT: FlagSpec(label="Vulnerable adult", priority=Priority.high, handoff=True),
        HANDLE_WITH_CARE: FlagSpec(label="Handle with care", handoff=True),
    }


def _default_dispositions() -> list[str]:
    return ["support_given", "referral", "information", "safety_plan", "wrong_number", "prank", "other"]


class Protocol(StaffRules):
    """The hotline's written operations protocol, as routing obeys it."""

    name: str = "default"
    hotline: str | None = None
    timezone: str = "UTC"
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1)
    fallback_language: Language | None = None
    response_target: Duration = timedelta(minutes=20)
    offer_timeout: Duration = timedelta(seconds=60)
    default_priority: Priority = Priority.normal
    breach_notify: list[NotifyTarget] = Field(default_factory=lambda: list[NotifyTarget](["all_on_call"]))
    breach_via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["console"]))
    escalation: list[EscalationStep] = Field(default_factory=list)
    # Standard 27: the ladder for a contact that arrives outside its channel's open hours
    # (None: the same ladder day and night).
    after_hours_escalation: list[EscalationStep] | None = None
    overflow_partner: str | None = None
    imminent_danger: DangerResponse = Field(default_factory=DangerResponse)
    flags: dict[str, FlagSpec] = Field(default_factory=_builtin_flags)
    triage: list[TriageRule] = Field(default_factory=list)
    channels: dict[Channel, ChannelSettings] = Field(default_factory=dict)
    callbacks: list[CallbackRule] = Field(default_factory=list)
    dispositions: list[str] = Field(default_factory=_default_dispositions, min_length=1)
    disposition_rules: dict[str, DispositionRule] = Field(default_factory=dict)
    mandated_reporting: MandatedReporting = Field(default_factory=MandatedReporting)
    partners: list[Partner] = Field(default_factory=list)
    referral_follow_up: ReferralFollowUp = Field(default_factory=ReferralFollowUp)
    retention: Retention = Field(default_factory=Retention)
    messages: dict[str, str] = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    language_fallback: LanguageFallback | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a time zone: use an IANA name like America/New_York") from exc
        return value

    @field_validator("response_target", "offer_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s: write it like 90s, 20m or 1h")
        return value

    @field_validator("flags")
    @classmethod
    def _keep_builtin_flags(cls, value: dict[str, FlagSpec]) -> dict[str, FlagSpec]:
        # The engine acts on the built-in flags, so a file may refine them but never lose them.
        return {**_builtin_flags(), **value}

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        problems = cross_field_problems(self)
        if problems:
            raise Problems(problems)
        return self

    # -- identity ----------------------------------------------------------
    @cached_property
    def version(self) -> str:
        """Content address: the same rules always have the same version, whatever the key order.
        Cached: intake asks for it on every contact and the model is frozen."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return "p-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        # What is cached belongs to the original's content, not to a changed copy.
        copy = super().model_copy(update=update, deep=deep)
        for name in CACHED:
            copy.__dict__.pop(name, None)
        return copy

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def fallback(self) -> str:
        """The language used when a text is missing in the person's own (default: the first listed)."""
        return self.fallback_language or self.languages[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        """The instant in the hotline's own time zone (naive instants are taken as local already)."""
        return localize(at, self.zone)

    # -- triage ------------------------------------------------------------
    def classify(
        self,
        channel: str,
        text: str,
        language: str | None,
        *,
        at: datetime | None = None,
        previous: Sequence[datetime] = (),
        flags: Iterable[str] = (),
    ) -> Triage:
        """Apply triage: `at` is the arrival, `previous` the same person's earlier arrivals,
        `flags` any already known (an IVR key press, an adapter). Rules needing what is not
        given (the hour, the history) do not fire."""
        return run_triage(
            self.triage,
            self.flags,
            self.imminent_danger,
            self.mandated_reporting.when_flags,
            self.default_priority,
            channel,
            text,
            language,
            zone=self.zone,
            at=at,
            previous=previous,
            flags=flags,
            version=self.version,
        )

    @cached_property
    def repeat_window(self) -> timedelta | None:
        """How far back the router must look for the same person's earlier contacts. Cached:
        intake asks for it three times per contact (a walk over every triage rule each time)."""
        windows = [r.repeat.within for r in self.triage if r.repeat]
        return max(windows) if windows else None

    # -- channels ----------------------------------------------------------
    def text(self, channel: Channel, kind: TextKind, language: str | None, **values: str) -> str | None:
        """The text in the person's language, else the fallback language, else the legacy message."""
        settings = self.channels.get(channel)
        texts = settings.texts(kind) if settings else {}
        wanted = language_key(language)
        by_key = {language_key(k): v for k, v in texts.items()}
        chosen = by_key.get(wanted) or by_key.get(language_key(self.fallback))
        chosen = chosen or self.messages.get(f"{channel}_{kind}")
        if chosen is None:
            return None
        return fill(chosen, {"hotline": self.hotline or self.name, **values})

    def is_open(self, channel: Channel, at: datetime) -> bool:
        """Inside the channel's open hours (a holiday's own hours on its date); a channel
        without open hours is open 24/7, holidays included."""
        settings = self.channels.get(channel)
        if not settings or not settings.open_hours:
            return True
        local = self.local(at)
        holiday = holiday_on(self.holidays, local)
        if holiday is not None:
            return holiday.is_open(local)
        return any(w.contains(local) for w in settings.open_hours)

    def hold_interval(self, channel: Channel) -> timedelta | None:
        settings = self.channels.get(channel)
        return settings.hold_interval if settings else None

    # -- escalation, partners, callbacks -----------------------------------
    def ladder(self, after_hours: bool) -> list[EscalationStep]:
        """The ladder a contact climbs: the after-hours one when it arrived out of hours."""
        if after_hours and self.after_hours_escalation is not None:
            return self.after_hours_escalation
        return self.escalation

    @property
    def longest_ladder(self) -> int:
        """Steps of the longer ladder: every step timer a contact may hold is named by it."""
        return max(len(self.escalation), len(self.after_hours_escalation or []))

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def overflow_partner_for(self, step: int | None) -> Partner | None:
        """The partner a ladder step (or, with None, the breach) hands over to."""
        named = self.escalation[step].partner if step is not None and step < len(self.escalation) else None
        chosen = named or self.overflow_partner
        return self.partner(chosen) if chosen else None

    @property
    def overflow_partner_ids(self) -> set[str]:
        """Partners some ladder step or the breach really hands contacts over to."""
        steps = [*self.escalation, *(self.after_hours_escalation or [])]
        ids = {s.partner or self.overflow_partner for s in steps if "partner" in s.notify}
        if "partner" in self.breach_notify:
            ids.add(self.overflow_partner)
        return {i for i in ids if i}

    def handoff_flags(self, flags: Iterable[str]) -> list[str]:
        """The contact's flags marked `handoff: true`: they travel with it to a partner."""
        return [f for f in flags if f in self.flags and self.flags[f].handoff]

    def handoff_message(self, channel: Channel, language: str | None, partner: Partner) -> str | None:
        return self.text(channel, "partner_handoff", language, **partner.details())

    def find_partners(
        self, service: str | None = None, language: str | None = None, at: datetime | None = None
    ) -> list[Partner]:
        """Partners offering `service` in `language`, open at `at` (each filter only when given)."""
        wanted = language_key(language)
        found = []
        for p in self.partners:
            if service and service not in p.services:
                continue
            if wanted and p.languages and wanted not in {language_key(x) for x in p.languages}:
                continue
            if at is not None and not p.is_open(self.local(at)):
                continue
            found.append(p)
        return found

    def callback_for(self, reason: str, channel: str) -> CallbackRule | None:
        """The first callback rule for a contact missed or abandoned this way on this channel."""
        return next((r for r in self.callbacks if r.applies(reason, channel)), None)

    # -- closing -----------------------------------------------------------
    def requires_mandated_report(self, flags: Iterable[str]) -> bool:
        return bool(set(self.mandated_reporting.when_flags) & set(flags))

    def disposition_requirements(self, disposition: str, flags: Iterable[str] = ()) -> list[CloseField]:
        return requirements(self.disposition_rules, self.mandated_reporting, disposition, flags)

    def close_problems(
        self, disposition: str, flags: Iterable[str] = (), record: Mapping[str, object] | None = None
    ) -> list[str]:
        """Why a close cannot be recorded yet, in plain words; empty when it can."""
        return close_problems(
            self.dispositions,
            self.disposition_rules,
            self.mandated_reporting,
            self.partners,
            disposition,
            flags,
            record or {},
        )
