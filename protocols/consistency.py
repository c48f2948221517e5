"""Cross-field rules of a protocol file: ladder order, known partners, flags and languages, unique names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from protocols.base import Problem, language_key
from protocols.channels import ALWAYS, USED, ChannelSettings
from protocols.durations import format_duration

if TYPE_CHECKING:
    # Only for the annotation: the model calls these checks from its own validator.
    from protocols.model import EscalationStep, Protocol


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _not_a_partner(value: str, ids: list[str]) -> str:
    return f"{value!r} is not a partner id{suggest(value, ids)} (partners: {', '.join(ids) or 'none listed'})"


def cross_field_problems(p: Protocol) -> list[Problem]:
    out: list[Problem] = []
    out += _ladder_problems(p)
    out += _name_problems(p)
    out += _unused_channel_settings(p)
    if p.fallback_language and language_key(p.fallback_language) not in {
        language_key(x) for x in p.languages
    }:
        out.append(
            Problem(
                ("fallback_language",),
                f"{p.fallback_language!r} is not one of languages ({', '.join(p.languages)})",
            )
        )
    return out


def _unused_channel_settings(p: Protocol) -> list[Problem]:
    out = []
    for channel, settings in p.channels.items():
        used = USED[channel] | ALWAYS
        for key in sorted(settings.model_fields_set - used):
            if getattr(settings, key) in (None, {}, []):
                continue
            allowed = ", ".join(sorted(USED[channel]))
            out.append(
                Problem(("channels", channel, key), f"is not used on {channel}; {channel} uses {allowed}")
            )
    return out


def _ladder_problems(p: Protocol) -> list[Problem]:
    out = _steps_problems(p, "escalation", p.escalation)
    if p.after_hours_escalation is not None:
        out += _steps_problems(p, "after_hours_escalation", p.after_hours_escalation)
    return out + _overflow_problems(p)


def _steps_problems(p: Protocol, key: str, ladder: Sequence[EscalationStep]) -> list[Problem]:
    out: list[Problem] = []
    ids = [x.id for x in p.partners]
    for i, step in enumerate(ladder):
        if i and step.after < ladder[i - 1].after:
            prev = format_duration(ladder[i - 1].after)
            out.append(
                Problem(
                    (key, i, "after"),
                    f"steps must be in order of `after`: this one comes after a step at {prev}",
                )
            )
        if step.partner is not None and step.partner not in ids:
            out.append(
                Problem(
                    (key, i, "partner"),
                    _not_a_partner(step.partner, ids),
                )
            )
        if "partner" in step.notify and not (step.partner or p.overflow_partner):
            out.append(
                Problem(
                    (key, i, "notify"),
                    "notifies `partner` but no partner is named: "
                    "set `partner:` on this step or `overflow_partner:`",
                )
            )
    return out


def _overflow_problems(p: Protocol) -> list[Problem]:
    out: list[Problem] = []
    ids = [x.id for x in p.partners]
    if "partner" in p.breach_notify and not p.overflow_partner:
        out.append(Problem(("breach_notify",), "notifies `partner` but `overflow_partner:` is not set"))
    if p.overflow_partner is not None and p.overflow_partner not in ids:
        out.append(
            Problem(
                ("overflow_partner",),
                _not_a_partner(p.overflow_partner, ids),
            )
        )
    for key in ("offer_to", "page"):
        if "partner" in getattr(p.imminent_danger, key):
            out.append(
                Problem(
                    ("imminent_danger", key),
                    "imminent danger stays with this hotline's responders; "
                    "use primary, backup, supervisor or all_on_call",
                )
            )
    return out


def _duplicates(values: Sequence[str]) -> list[int]:
    seen: set[str] = set()
    dup = []
    for i, v in enumerate(values):
        if v in seen:
            dup.append(i)
        seen.add(v)
    return dup


def _name_problems(p: Protocol) -> list[Problem]:
    out = [
        Problem(("triage", i, "name"), f"rule name {p.triage[i].name!r} is used twice; names must be unique")
        for i in _duplicates([r.name for r in p.triage])
    ]
    out += [
        Problem(("partners", i, "id"), f"partner id {p.partners[i].id!r} is used twice")
        for i in _duplicates([x.id for x in p.partners])
    ]
    out += [
        Problem(("dispositions", i), f"disposition {p.dispositions[i]!r} is listed twice")
        for i in _duplicates(p.dispositions)
    ]
    keys = [c.key for c in p.mandated_reporting.checklist]
    out += [
        Problem(("mandated_reporting", "checklist", i, "key"), f"checklist key {keys[i]!r} is used twice")
        for i in _duplicates(keys)
    ]
    for code in p.disposition_rules:
        if code not in p.dispositions:
            out.append(
                Problem(
                    ("disposition_rules", code),
                    f"{code!r} is not in dispositions{suggest(code, p.dispositions)} "
                    f"(dispositions: {', '.join(p.dispositions)})",
                )
            )
    return out


def flag_warnings(p: Protocol) -> list[Problem]:
    """Flags used but not declared: valid (older files), but most often a typo."""
    known = list(p.flags)

    def unknown(loc: tuple[str | int, ...], flags: Sequence[str]) -> list[Problem]:
        return [
            Problem(
                (*loc, i),
                f"unknown flag {f!r}{suggest(f, known)}; "
                f"declare it under `flags:` (known: {', '.join(known)})",
            )
            for i, f in enumerate(flags)
            if f not in p.flags
        ]

    out: list[Problem] = []
    for i, rule in enumerate(p.triage):
        out += unknown(("triage", i, "flags"), rule.flags)
        out += unknown(("triage", i, "when_flags"), rule.when_flags)
    out += unknown(("imminent_danger", "flags"), p.imminent_danger.flags)
    out += unknown(("mandated_reporting", "when_flags"), p.mandated_reporting.when_flags)
    for i, agency in enumerate(p.mandated_reporting.agencies):
        out += unknown(("mandated_reporting", "agencies", i, "for_flags"), agency.for_flags)
    return out


def language_warnings(p: Protocol) -> list[Problem]:
    """Languages used in rules and texts but not listed: valid, but most often a typo (sp for es)."""
    langs = {language_key(x) for x in p.languages}
    listed = ", ".join(p.languages)
    out: list[Problem] = []
    for i, rule in enumerate(p.triage):
        if rule.language and language_key(rule.language) not in langs:
            out.append(
                Problem(
                    ("triage", i, "language"),
                    f"{rule.language!r} is not one of languages ({listed}); add it there if that is meant",
                )
            )
    for channel, settings in p.channels.items():
        for kind in ChannelSettings.model_fields:
            value = getattr(settings, kind)
            if not isinstance(value, dict) or not value:
                continue
            if language_key(p.fallback) not in {language_key(x) for x in value}:
                out.append(
                    Problem(
                        ("channels", channel, kind),
                        f"no text in the fallback language {p.fallback!r}: "
                        "a person whose language has no text gets none",
                    )
                )
            for lang in value:
                if language_key(lang) not in langs:
                    out.append(
                        Problem(
                            ("channels", channel, kind, lang),
                            f"language {lang!r} is not one of languages ({listed})"
                            + suggest(lang, p.languages),
                        )
                    )
    return out
