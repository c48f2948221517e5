"""How records look on the wire (API.md shapes); the person's address is never included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from router.models import Contact, Offer, Presence, Responder
from schedules import Coverage, CoverageReport, Gap


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contact_view(c: Contact, full: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": c.id,
        "channel": c.channel,
        "status": c.status.value,
        "priority": c.priority.value,
        "flags": list(c.flags),
        "language": c.language,
        "escalation_level": c.escalation_level,
        "breached": c.breached,
        "received_at": iso(c.received_at),
        "deadline": iso(c.deadline),
        "offered_at": iso(c.offered_at),
        "assigned_at": iso(c.assigned_at),
        "answered_at": iso(c.answered_at),
        "closed_at": iso(c.closed_at),
        "responder": c.responder,
        "protocol_version": c.protocol_version,
        "roster_version": c.roster_version,
        "disposition": c.disposition,
    }
    # What the protocol asks the responder to know before starting (no personal data).
    if c.opening:
        view["opening"] = c.opening
    if c.interpreter:
        view["interpreter"] = c.interpreter
    if full:
        view["timeline"] = [e.model_dump(mode="json") for e in c.timeline]
        view["messages"] = [m.model_dump(mode="json") for m in c.messages]
        view["notes"] = c.notes
        view["subject"] = c.subject
    return view


def intake_view(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "status": c.status.value,
        "priority": c.priority.value,
        "flags": list(c.flags),
        "received_at": iso(c.received_at),
        "deadline": iso(c.deadline),
    }


def queue_view(c: Contact, now: datetime) -> dict[str, Any]:
    return {
        "id": c.id,
        "channel": c.channel,
        "priority": c.priority.value,
        "status": c.status.value,
        "waiting_s": round((now - c.received_at).total_seconds(), 3),
        "escalation_level": c.escalation_level,
        "breached": c.breached,
    }


def offer_view(o: Offer) -> dict[str, Any]:
    return {
        "id": o.id,
        "contact_id": o.contact_id,
        "responder": o.responder,
        "channel": o.channel,
        "priority": o.priority.value,
        "status": o.status.value,
        "created_at": iso(o.created_at),
        "expires_at": iso(o.expires_at),
    }


def offer_card_view(o: Offer, c: Contact | None, now: datetime) -> dict[str, Any]:
    """An offer as a console card shows it: the facts for deciding, never the person's address,
    name or words. Times are also given relative to the server's clock (`expires_in_s`,
    `waiting_s`), so a countdown is right even on a phone whose own clock is off."""
    view = offer_view(o)
    view["expires_in_s"] = round((o.expires_at - now).total_seconds(), 3)
    if c is not None:
        view["contact"] = {
            "channel": c.channel,
            "priority": c.priority.value,
            "flags": list(c.flags),
            "language": c.language,
            "waiting_s": round((now - c.received_at).total_seconds(), 3),
            "escalation_level": c.escalation_level,
            "breached": c.breached,
        }
        # The protocol's words for this offer (never the person's): how to reach an interpreter
        # once language no longer limits it, the callback's safety check to open with.
        if c.interpreter:
            view["interpreter"] = view["contact"]["interpreter"] = c.interpreter
        if c.opening:
            view["opening"] = c.opening
    return view


def responder_view(r: Responder, presence: Presence | None) -> dict[str, Any]:
    data = r.model_dump(mode="json", exclude={"pending_change"})
    data["presence"] = presence or "offline"
    return data


def gap_view(g: Gap) -> dict[str, Any]:
    return {"start": iso(g.start), "end": iso(g.end), "seconds": g.seconds}


def coverage_view(c: Coverage) -> dict[str, Any]:
    return {
        "from": iso(c.start),
        "to": iso(c.end),
        "primary_gaps": [gap_view(g) for g in c.primary_gaps],
        "backup_gaps": [gap_view(g) for g in c.backup_gaps],
        "primary_gap_s": c.primary_gap_s,
        "backup_gap_s": c.backup_gap_s,
        "rating": c.rating,
    }


def report_view(r: CoverageReport, timezone: str) -> dict[str, Any]:
    """The scheduler's fuller picture: language and skill coverage, double bookings, long
    stretches, DST-bent shifts, and the same as readable lines."""
    data = r.model_dump(mode="json", exclude={"start", "end", "rating", "primary_gaps", "backup_gaps"})
    data["summary"] = r.summary(timezone)
    return data
