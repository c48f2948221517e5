"""`safetynet protocol check`: every error in a protocol file, and warnings for doubtful settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from protocols.base import IMMINENT_DANGER, Problem, format_loc, language_key
from protocols.consistency import flag_warnings, language_warnings
from protocols.durations import format_duration
from protocols.errors import line_of
from protocols.loader import ProtocolError, parse_with_marks, read_text
from protocols.model import Protocol
from protocols.staffing import staff_warnings

WARNING = "warning: "


@dataclass
class CheckReport:
    """Errors stop the file from being used; warnings are worth a second look."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    protocol: Protocol | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_report(text: str, source: str = "<protocol>") -> CheckReport:
    try:
        protocol, marks = parse_with_marks(text, source)
    except ProtocolError as exc:
        return CheckReport(errors=list(exc.problems))
    found = sorted(((line_of(w.loc, marks), w) for w in warnings(protocol)), key=lambda x: x[0])
    lines = [f"{source}:{line}: {format_loc(w.loc)}: {WARNING}{w.message}" for line, w in found]
    return CheckReport(warnings=lines, protocol=protocol)


def check_file(path: str | Path) -> CheckReport:
    """Check a file on disk; a file that cannot be read is an error like any other."""
    try:
        text = read_text(path)
    except ProtocolError as exc:
        return CheckReport(errors=list(exc.problems))
    return check_report(text, str(path))


def check_text(text: str, source: str = "<protocol>") -> list[str]:
    """Errors first, then warnings (marked `warning:`); an empty list means the file is fine."""
    report = check_report(text, source)
    return report.errors + report.warnings


def warnings(p: Protocol) -> list[Problem]:
    """Settings that are allowed but probably not what the hotline means."""
    out = _timing_warnings(p) + _danger_warnings(p) + _care_warnings(p)
    return out + flag_warnings(p) + language_warnings(p) + staff_warnings(p)


def _timing_warnings(p: Protocol) -> list[Problem]:
    target = format_duration(p.response_target)
    out: list[Problem] = []
    if p.offer_timeout >= p.response_target:
        out.append(
            Problem(
                ("offer_timeout",),
                f"an offer rings for {format_duration(p.offer_timeout)}, as long as the whole "
                f"response target ({target}): one unanswered offer breaches the contact",
            )
        )
    if p.response_target < timedelta(minutes=2):
        out.append(
            Problem(
                ("response_target",),
                f"a response target of {target} is very short; if minutes are meant, write "
                f"{int(p.response_target.total_seconds())}m (a bare number counts seconds)",
            )
        )
    if not p.breach_notify:
        out.append(Problem(("breach_notify",), "nobody is paged when a contact breaches the response target"))
    if not p.escalation:
        out.append(
            Problem(("escalation",), "no escalation ladder: nobody else hears of a contact until the breach")
        )
    for i, step in enumerate(p.escalation):
        if step.after >= p.response_target:
            out.append(
                Problem(
                    ("escalation", i, "after"),
                    f"this step ({format_duration(step.after)}) is at or after the response target "
                    f"({target}); the breach comes first, so it never fires",
                )
            )
        elif step.after < p.offer_timeout:
            out.append(
                Problem(
                    ("escalation", i, "after"),
                    f"this step ({format_duration(step.after)}) comes before the first offer has "
                    f"timed out ({format_duration(p.offer_timeout)})",
                )
            )
    targets = {t for s in p.escalation for t in s.notify} | set(p.breach_notify)
    if not targets & {"supervisor", "all_on_call"}:
        out.append(Problem(("escalation",), "no step pages the supervisor or everyone on call"))
    for channel, settings in p.channels.items():
        if settings.hold and settings.hold_interval is None and channel == "voice":
            out.append(Problem(("channels", channel, "hold_interval"), "hold messages but no hold_interval"))
        if settings.at_capacity and settings.at_capacity_waiting is None:
            out.append(
                Problem(("channels", channel, "at_capacity"), "at_capacity text but no at_capacity_waiting")
            )
        if settings.open_hours and not settings.after_hours:
            out.append(
                Problem(
                    ("channels", channel, "after_hours"),
                    "the channel has open hours but no after-hours text (Standard 27)",
                )
            )
    return out


def _danger_warnings(p: Protocol) -> list[Problem]:
    out: list[Problem] = []
    danger = set(p.imminent_danger.flags)
    rules = [r for r in p.triage if danger & set(r.flags)]
    if not rules:
        out.append(
            Problem(
                ("triage",),
                f"no triage rule sets {IMMINENT_DANGER}: danger is never recognised (Standard 28)",
            )
        )
    elif not any(r.language is None for r in rules):
        covered = {language_key(r.language) for r in rules}
        for lang in p.languages:
            if language_key(lang) not in covered:
                out.append(Problem(("languages",), f"no imminent-danger triage rule for language {lang!r}"))
    for i, rule in enumerate(p.triage):
        if not rule.has_conditions:
            out.append(Problem(("triage", i), f"rule {rule.name!r} has no conditions, so it never fires"))
        if rule.hours and p.timezone == "UTC":
            out.append(
                Problem(("triage", i, "hours"), "time-of-day rule, but `timezone:` is not set (UTC is used)")
            )
    return out


def _care_warnings(p: Protocol) -> list[Problem]:
    out: list[Problem] = []
    if not any("abandoned" in r.when for r in p.callbacks):
        out.append(Problem(("callbacks",), "no callback rule for abandoned contacts (Standard 28)"))
    for i, rule in enumerate(p.callbacks):
        if rule.attempts > 1 and rule.spacing.total_seconds() <= 0:
            out.append(Problem(("callbacks", i, "spacing"), "several attempts with no spacing between them"))
    for code, disposition in p.disposition_rules.items():
        if "referral" in disposition.requires and not p.partners:
            out.append(Problem(("disposition_rules", code), "requires a referral but no partners are listed"))
    overflow = [s.partner or p.overflow_partner for s in p.escalation if "partner" in s.notify]
    if "partner" in p.breach_notify:
        overflow.append(p.overflow_partner)
    for pid in dict.fromkeys(x for x in overflow if x):
        partner = p.partner(pid)
        if partner and not (partner.transfer_to or partner.phone):
            i = p.partners.index(partner)
            out.append(
                Problem(
                    ("partners", i),
                    "an overflow partner with no phone or transfer_to: calls cannot be handed over",
                )
            )
        if partner and not partner.overflow:
            i = p.partners.index(partner)
            out.append(
                Problem(("partners", i, "overflow"), "used for overflow but not marked `overflow: true`")
            )
    for i, x in enumerate(p.partners):
        if x.overflow and x.id not in p.overflow_partner_ids:
            out.append(
                Problem(
                    ("partners", i, "overflow"),
                    "marked `overflow: true` but no escalation step or the breach hands contacts to it",
                )
            )
    if p.retention.personal_data > p.retention.contact_records:
        out.append(
            Problem(
                ("retention", "personal_data"), "personal data is kept longer than the records it belongs to"
            )
        )
    return out
