"""One standard's rating as the report shows it."""

from __future__ import annotations

from typing import Any

EVIDENCE_MAX = 50


def rated(rating: str, reason: str, evidence: list[Any]) -> dict[str, Any]:
    return {"rating": rating, "reason": reason, "evidence": evidence[: EVIDENCE_MAX + 1]}
