"""Triage: message words and patterns, channel, time of day, repeat contacts and flags → priority."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    language_key,
    most_urgent,
)
from protocols.hours import TimeWindow, localize, within

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})


def fold(text: str) -> str:
    """Case, accents, curly quotes and spacing do not matter: people text fast and on any keyboard."""
    plain = text.translate(_QUOTES)
    if plain.isascii():
        # NFKD leaves ASCII as it is and ASCII has no combining marks: skip the per-character
        # pass that most messages do not need (it was most of triage's cost).
        bare = plain
    else:
        decomposed = unicodedata.normalize("NFKD", plain)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _strip_accents(pattern: str) -> str:
    decomposed = unicodedata.normalize("NFKD", pattern.translate(_QUOTES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1024)
def _keyword_re(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    words = [re.escape(fold(k)) for k in keywords if fold(k)]
    if not words:
        return None
    # Whole words or phrases only: "gun" must not fire on "begun".
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")


@lru_cache(maxsize=1024)
def _pattern_re(pattern: str) -> re.Pattern[str]:
    return re.compile(_strip_accents(pattern), re.IGNORECASE)


# A rule's language, keyed: asked twice per rule per contact, and rules name few languages.
_language_key = lru_cache(maxsize=256)(language_key)


class _Folded:
    """The contact's text folded at most once, however many rules look at it."""

    __slots__ = ("_folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None

    def get(self) -> str:
        if self._folded is None:
            self._folded = fold(self.text)
        return self._folded


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
        if not self.has_conditions:
            return False
        if self.channels and channel not in self.channels:
            return False
        # A contact whose language is unknown gets every language's rules: missing danger is worse.
        wanted, given = _language_key(self.language), _language_key(language)
        if wanted and given and wanted != given and not self.any_language:
            return False
        if self.hours and (local is None or not within(self.hours, local)):
            return False
        if self.repeat and not self.repeat.matches(at, previous):
            return False
        if self.when_flags and not set(self.when_flags) & set(flags):
            return False
        if self.keywords or self.patterns:
            text_f = (folded or _Folded(text)).get()
            kw = _keyword_re(tuple(self.keywords))
            hit = bool(kw and kw.search(text_f)) or any(_pattern_re(p).search(text_f) for p in self.patterns)
            if not hit:
                return False
        return True


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


class Triage(BaseModel):
    """What triage decided for one contact, and what the router must do about it."""

    model_config = ConfigDict(frozen=True)

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
) -> Triage:
    """The most urgent matching rule (or flag) sets the priority; flags from all matches add up."""
    found: list[str] = list(dict.fromkeys(flags))
    names: list[str] = []
    fired: set[int] = set()
    priority = default
    local = localize(at, zone) if at is not None else None
    folded = _Folded(text)
    # Rules may react to flags other rules set (`when_flags`), so repeat until nothing new fires.
    # Only such a rule can fire on a later round (nothing else a rule looks at changes between
    # rounds): without one, one round is all (it saves a third of the rule checks).
    reactive = any(rule.when_flags for rule in rules)
    changed = True
    while changed:
        changed = False
        for i, rule in enumerate(rules):
            if i in fired:
                continue
            if rule.matches(
                channel, text, language, local=local, previous=previous, at=at, flags=found, folded=folded
            ):
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
