"""Triage: message words and patterns, channel, time of day, repeat contacts and flags → priority."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import NamedTuple

from pydantic import Field, field_validator

from protocols.base import (
    IMMINENT_DANGER,
    Channel,
    Cited,
    Duration,
    Language,
    NotifyTarget,
    NotifyVia,
    Priority,
    Problem,
    Strict,
    most_urgent,
)
from protocols.hours import TimeWindow, localize, within
from protocols.textmatch import Folded as _Folded
from protocols.textmatch import fold as fold
from protocols.textmatch import keyword_re as _keyword_re
from protocols.textmatch import language_key_cached as _language_key
from protocols.textmatch import pattern_re as _pattern_re


class RepeatRule(Strict):
    """`contacts` or more contacts from the same person (this one included) within `within`."""

    contacts: int = Field(ge=2, le=1000)
    within: Duration

    def matches(self, at: datetime | None, previous: Sequence[datetime]) -> bool:
        count = len(previous) if at is None else sum(1 for p in previous if at - self.within <= p <= at)
        return count + 1 >= self.contacts


class TriageRule(Cited):
    """Every condition given must hold; among the text conditions any keyword or pattern will do."""

    name: str = Field(min_length=1)
    language: Language | None = None
    # The language a contact declares can be wrong (a browser default, a shared phone): danger
    # words should fire whatever it says. `language` then only says what the words are written in.
    any_language: bool = False
    keywords: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    # Regular expressions are not plain words; the manual shows this instead when it is given.
    patterns_mean: str | None = None
    channels: list[Channel] = Field(default_factory=list)
    hours: list[TimeWindow] = Field(default_factory=list)
    repeat: RepeatRule | None = None
    when_flags: list[str] = Field(default_factory=list)
    priority: Priority = Priority.high
    flags: list[str] = Field(default_factory=list)

    @field_validator("keywords")
    @classmethod
    def _keywords_have_words(cls, value: list[str]) -> list[str]:
        for i, k in enumerate(value):
            if not fold(k):
                raise Problem((i,), "a keyword cannot be empty")
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for i, p in enumerate(value):
            try:
                _pattern_re(p)
            except re.error as exc:
                raise Problem((i,), f"not a valid regular expression ({exc}); quote it in '...'") from exc
        return value

    @property
    def has_conditions(self) -> bool:
        return bool(
            self.keywords or self.patterns or self.channels or self.hours or self.repeat or self.when_flags
        )

    def matches(
        self,
        channel: str,
        text: str,
        language: str | None,
        *,
        local: datetime | None = None,
        previous: Sequence[datetime] = (),
        at: datetime | None = None,
        flags: Iterable[str] = (),
        folded: _Folded | None = None,
    ) -> bool:
        """`local` is the arrival in hotline time; without it a rule that needs the hour cannot fire.
        `folded` lets a caller trying many rules on one text fold it once."""
        check = _Check(self)
        return check.fires(
            channel, _language_key(language), folded or _Folded(text), local, previous, at, flags
        )


class _Check:
    """One rule made ready to try on many contacts: its conditions as sets and compiled
    expressions, worked out once per protocol version instead of on every contact. The one
    place a rule's conditions are decided (`TriageRule.matches` uses it too)."""

    __slots__ = (
        "any_language",
        "blank",
        "channels",
        "hours",
        "keyword",
        "live",
        "patterns",
        "repeat",
        "rule",
        "text",
        "wanted",
        "when_flags",
    )

    def __init__(self, rule: TriageRule) -> None:
        self.rule = rule
        self.live = rule.has_conditions
        self.channels = frozenset(rule.channels)
        self.wanted = _language_key(rule.language)
        self.any_language = rule.any_language
        self.hours = rule.hours
        self.repeat = rule.repeat
        self.when_flags = frozenset(rule.when_flags)
        self.text = bool(rule.keywords or rule.patterns)
        self.keyword = _keyword_re(tuple(rule.keywords))
        self.patterns = tuple(_pattern_re(p) for p in rule.patterns)
        # Whether the rule can fire on a contact with no words (a call, an empty message): a
        # keyword never matches nothing, a pattern might (`^$`).
        self.blank = not self.text or self._words_match("")

    def _words_match(self, folded: str) -> bool:
        return bool(
            (self.keyword and self.keyword.search(folded)) or any(p.search(folded) for p in self.patterns)
        )

    def fires(
        self,
        channel: str,
        given: str | None,
        folded: _Folded,
        local: datetime | None,
        previous: Sequence[datetime],
        at: datetime | None,
        flags: Iterable[str],
    ) -> bool:
        """`given` is the contact's language, keyed."""
        if not self.live:
            return False
        if self.channels and channel not in self.channels:
            return False
        # A contact whose language is unknown gets every language's rules: missing danger is worse.
        if self.wanted and given and self.wanted != given and not self.any_language:
            return False
        if self.hours and (local is None or not within(self.hours, local)):
            return False
        if self.repeat and not self.repeat.matches(at, previous):
            return False
        if self.when_flags and self.when_flags.isdisjoint(flags):
            return False
        return not self.text or self._words_match(folded.get())


class _Ready(NamedTuple):
    """A protocol version's rules made ready: all of them, and those that can fire on a
    contact with no words (most protocols' rules are words: a call skips them all)."""

    all: tuple[_Check, ...]
    blank: tuple[_Check, ...]


# Per protocol version (a content address): its rules made ready.
_CHECKS: dict[str, _Ready] = {}
_CHECKS_MAX = 64


def _checks(rules: Sequence[TriageRule], version: str | None) -> _Ready:
    found = _CHECKS.get(version) if version is not None else None
    if found is None:
        checks = tuple(_Check(rule) for rule in rules)
        found = _Ready(checks, tuple(c for c in checks if c.blank))
        if version is not None:
            if len(_CHECKS) >= _CHECKS_MAX:
                _CHECKS.clear()
            _CHECKS[version] = found
    return found


class FlagSpec(Cited):
    """What a flag means, the least priority it carries, and whether it travels with a handoff."""

    label: str | None = None
    means: str | None = None
    priority: Priority | None = None
    handoff: bool = False


class DangerResponse(Cited):
    """Imminent danger skips the ladder: offer to everyone on call at once, page now."""

    flags: list[str] = Field(default_factory=lambda: [IMMINENT_DANGER], min_length=1)
    skip_ladder: bool = True
    offer_to: list[NotifyTarget] = Field(default_factory=lambda: list[NotifyTarget](["all_on_call"]))
    page: list[NotifyTarget] = Field(default_factory=lambda: list[NotifyTarget](["supervisor"]))
    via: list[NotifyVia] = Field(default_factory=lambda: list[NotifyVia](["voice", "sms"]))


class Triage(NamedTuple):
    """What triage decided for one contact, and what the router must do about it. A plain
    record (a tuple: a frozen dataclass's field-by-field __init__ cost twice as much): built
    from the protocol's own settings on every contact taken in, where pydantic's validation of
    it cost more than the rules' matching."""

    priority: Priority
    flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    imminent_danger: bool = False
    skip_ladder: bool = False
    offer_to: tuple[NotifyTarget, ...] = ()
    page_now: tuple[NotifyTarget, ...] = ()
    page_via: tuple[NotifyVia, ...] = ()
    mandated_report: bool = False
    handoff_flags: tuple[str, ...] = ()


def run_triage(
    rules: Sequence[TriageRule],
    specs: dict[str, FlagSpec],
    danger: DangerResponse,
    report_flags: Sequence[str],
    default: Priority,
    channel: str,
    text: str,
    language: str | None,
    *,
    zone: tzinfo,
    at: datetime | None,
    previous: Sequence[datetime],
    flags: Iterable[str],
    version: str | None = None,
) -> Triage:
    """The most urgent matching rule (or flag) sets the priority; flags from all matches add up.
    `version` names the rules' protocol version: their compiled form is kept under it."""
    found: list[str] = list(dict.fromkeys(flags))
    names: list[str] = []
    fired: set[int] = set()
    priority = default
    local = localize(at, zone) if at is not None else None
    folded = _Folded(text)
    given = _language_key(language)
    ready = _checks(rules, version)
    # No words (`fold` would make nothing of the text): the rules that need words are not tried.
    checks = ready.blank if not text or text.isspace() else ready.all
    # Rules may react to flags other rules set (`when_flags`), so repeat until nothing new fires.
    # Only such a rule can fire on a later round (nothing else a rule looks at changes between
    # rounds): without one, one round is all (it saves a third of the rule checks).
    reactive = any(check.when_flags for check in checks)
    changed = True
    while changed:
        changed = False
        for i, check in enumerate(checks):
            if i in fired:
                continue
            if check.fires(channel, given, folded, local, previous, at, found):
                rule = check.rule
                fired.add(i)
                names.append(rule.name)
                priority = most_urgent(priority, rule.priority)
                new = [f for f in rule.flags if f not in found]
                found.extend(new)
                changed = reactive and (changed or bool(new))
    for flag in found:
        spec = specs.get(flag)
        if spec and spec.priority:
            priority = most_urgent(priority, spec.priority)
    danger_now = bool(set(danger.flags) & set(found))
    if danger_now:
        priority = Priority.critical
    return Triage(
        priority=priority,
        flags=tuple(found),
        rules=tuple(names),
        imminent_danger=danger_now,
        skip_ladder=danger_now and danger.skip_ladder,
        offer_to=tuple(danger.offer_to) if danger_now else (),
        page_now=tuple(danger.page) if danger_now else (),
        page_via=tuple(danger.via) if danger_now else (),
        mandated_report=bool(set(report_flags) & set(found)),
        handoff_flags=tuple(f for f in found if specs.get(f, FlagSpec()).handoff),
    )
