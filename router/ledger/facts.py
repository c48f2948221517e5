"""From stream events to ledger rows, pure: which facts of a contact an event sets, the
non-personal fields of its timeline entry, and the audit record an access event carries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from router.models import Event

Rule = Literal["set", "first", "max"]

# How a later event's value meets the stored one: `first` keeps the earliest (first
# acknowledgement, first offer, first human response), `max` the highest, `set` the latest.
RULES: dict[str, Rule] = {
    "first_ack_at": "first",
    "offered_at": "first",
    "answered_at": "first",
    "time_to_answer_s": "first",
    "answered_via": "first",
    "breached_at": "first",
    "escalation_level": "max",
    "pages_sent": "max",
}

# Timeline fields an event may carry into the ledger: an allow-list, so a field added to
# an event later (a message body, an address) never reaches SQL by accident.
TIMELINE_FIELDS = frozenset(
    {
        "status", "channel", "priority", "flags", "rules", "target_s", "protocol_version",
        "roster_version", "imminent_danger", "repeat_of", "language", "kind", "serves",
        "responder", "offer_id", "time_to_offer_s", "time_to_accept_s", "time_to_answer_s",
        "within_target", "via", "disposition", "by", "handle_s", "waited_s", "partner", "level",
        "step", "notify", "reason", "system", "referral_partner", "has_notes", "attempt",
    }
)  # fmt: skip

AUDIT_FIELDS = ("actor", "role", "action", "detail", "ip")


def kind_of(flags: list[str], serves: str | None) -> str:
    if "follow_up" in flags:
        return "follow_up"
    if serves or "callback" in flags:
        return "callback"
    return "contact"


def timeline_data(ev: Event) -> dict[str, Any]:
    extra = ev.model_extra or {}
    data = {k: v for k, v in extra.items() if k in TIMELINE_FIELDS and v is not None}
    if ev.status:
        data["status"] = ev.status
    return data


def contact_facts(ev: Event) -> dict[str, Any] | None:
    """The columns of the contact's row this event sets (None: it sets none)."""
    x = ev.model_extra or {}
    at = ev.at
    name = ev.event
    if name == "received":
        flags = [str(f) for f in x.get("flags") or []]
        serves = x.get("serves")
        target_s = float(x.get("target_s", 1200.0))
        return {
            "kind": str(x.get("kind") or kind_of(flags, serves)),
            "serves": serves,
            "channel": x.get("channel"),
            "priority": x.get("priority"),
            "flags": flags,
            "language": x.get("language"),
            "received_at": at,
            "deadline": at + timedelta(seconds=target_s),
            "target_s": target_s,
            "protocol_version": x.get("protocol_version"),
            "roster_version": x.get("roster_version"),
            "imminent_danger": bool(x.get("imminent_danger")),
            # imminent danger pages the supervisor at once
            "pages_sent": 1 if x.get("imminent_danger") else 0,
        }
    if name == "acknowledged":
        return {"first_ack_at": at}
    if name == "offered":
        return {"offered_at": at}
    if name == "accepted":
        return {"accepted_at": at, "responder": x.get("responder")}
    if name == "answered":
        return {
            "answered_at": at,
            "time_to_answer_s": x.get("time_to_answer_s"),
            "answered_via": x.get("via"),
            "responder": x.get("responder"),
        }
    if name in ("escalated", "breached"):
        level = int(x.get("level") or 0)
        facts: dict[str, Any] = {"escalation_level": level}
        if x.get("notify"):
            facts["pages_sent"] = level
        if name == "breached":
            facts |= {"breached": True, "breached_at": at}
        return facts
    if name == "closed":
        report = x.get("report") or {}
        return {
            "closed_at": at,
            "ended_at": at,
            "outcome": "closed",
            "disposition": x.get("disposition"),
            "closed_by": x.get("by"),
            "referral_partner": x.get("referral_partner"),
            "has_notes": bool(x.get("has_notes")),
            "report_agency": report.get("agency"),
            "reported_at": report.get("reported_at"),
            "report_reference": report.get("reference"),
            "client_informed": report.get("client_informed"),
            "report_not_required": report.get("not_required"),
        }
    if name == "abandoned":
        return {"abandoned_at": at, "ended_at": at, "outcome": "abandoned"}
    if name == "handed_off":
        return {
            "handed_off_at": at,
            "ended_at": at,
            "outcome": "handed_off",
            "referral_partner": x.get("partner"),
        }
    if name == "language_set":
        return {"language": x.get("language")}
    return None


def merge(into: dict[str, Any], later: dict[str, Any]) -> None:
    """Fold a later event's facts into the earlier ones of the same batch, by each column's rule."""
    for key, value in later.items():
        rule = RULES.get(key, "set")
        if rule == "first" and into.get(key) is not None:
            continue
        if rule == "max" and into.get(key) is not None and (value is None or value <= into[key]):
            continue
        into[key] = value


def audit_row(stream_id: str, ev: Event) -> dict[str, Any]:
    x = ev.model_extra or {}
    row: dict[str, Any] = {"stream_id": stream_id, "at": ev.at, "contact_id": ev.contact_id}
    for key in AUDIT_FIELDS:
        value = x.get(key)
        row[key] = None if value is None else str(value)[:2000]
    row["action"] = row["action"] or "unknown"
    return row
