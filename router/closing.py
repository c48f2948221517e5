"""What closing a contact records for the ledger: facts about the outcome, never its content."""

from __future__ import annotations

from typing import Any


def closing_facts(outcome: dict[str, Any], notes: str | None) -> dict[str, Any]:
    """What a close records for the ledger: the referral partner, whether notes exist, and the
    mandated report's facts (agency, when, reference, client informed, or why none was due).
    Never the notes or what was reported: those are personal and stay sealed."""
    referral = outcome.get("referral")
    partner = referral.get("partner") if isinstance(referral, dict) else None
    found = outcome.get("mandated_report")
    report: dict[str, Any] | None = None
    if isinstance(found, dict):
        report = {
            "agency": _short(found.get("to")),
            "reported_at": _short(found.get("when")),
            "reference": _short(found.get("reference")),
            "client_informed": _short(found.get("client_informed")),
            "not_required": _short(found.get("not_required")),
        }
    return {"referral_partner": _short(partner), "has_notes": bool(notes), "report": report}


def _short(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return None
    return str(value)[:200]
