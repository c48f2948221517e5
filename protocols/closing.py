"""Checking a close before it is recorded: disposition, required fields, mandated-report checklist."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from protocols.care import CloseField, DispositionRule, MandatedReporting, Partner

FIELD_MEANING: dict[CloseField, str] = {
    "notes": "notes on what happened",
    "referral": "the referral: which partner, for what",
    "safety_plan": "the safety plan made with the person",
    "mandated_report": "the mandated-report checklist (Standard 30)",
}


def requirements(
    rules: Mapping[str, DispositionRule],
    reporting: MandatedReporting,
    disposition: str,
    flags: Iterable[str],
) -> list[CloseField]:
    """Fields a close with this disposition and these flags must carry, in a stable order."""
    needed: list[CloseField] = list(rules[disposition].requires) if disposition in rules else []
    if set(reporting.when_flags) & set(flags) and "mandated_report" not in needed:
        needed.append("mandated_report")
    return needed


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping | list | tuple):
        return len(value) == 0
    return False


def _referral_problems(value: object, partners: Sequence[Partner]) -> list[str]:
    if not isinstance(value, Mapping) or _blank(value.get("partner")):
        return ["referral: say which partner the person was referred to (referral.partner)"]
    partner = value["partner"]
    known = {p.id for p in partners} | {p.name for p in partners}
    if partners and isinstance(partner, str) and partner not in known:
        ids = ", ".join(p.id for p in partners)
        return [f"referral.partner: {partner!r} is not in the partner directory ({ids})"]
    return []


def _report_problems(value: object, reporting: MandatedReporting) -> list[str]:
    if not isinstance(value, Mapping):
        asks = "; ".join(i.ask for i in reporting.checklist if i.required)
        return [f"mandated_report: this contact is flagged for a mandated report; record {asks}"]
    # A responder may find no report is due (the flag was wrong); the reason is then the record.
    if not _blank(value.get("not_required")):
        return []
    return [
        f"mandated_report.{item.key}: {item.ask}"
        for item in reporting.checklist
        if item.required and _blank(value.get(item.key))
    ]


def close_problems(
    dispositions: Sequence[str],
    rules: Mapping[str, DispositionRule],
    reporting: MandatedReporting,
    partners: Sequence[Partner],
    disposition: str,
    flags: Iterable[str],
    record: Mapping[str, object],
) -> list[str]:
    """Plain-words reasons a close cannot be recorded yet; an empty list means it can."""
    if disposition not in dispositions:
        return [f"disposition: {disposition!r} is not one of {', '.join(dispositions)}"]
    problems: list[str] = []
    for field in requirements(rules, reporting, disposition, flags):
        value = record.get(field)
        if field == "referral":
            problems += _referral_problems(value, partners)
        elif field == "mandated_report":
            problems += _report_problems(value, reporting)
        elif _blank(value):
            problems.append(f"{field}: required when closing as {disposition}: {FIELD_MEANING[field]}")
    return problems
