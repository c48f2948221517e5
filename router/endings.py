"""How a contact ends (closed, handed off, abandoned): apart from the transitions that keep it moving."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from router.closing import closing_facts
from router.errors import InvalidState
from router.models import Contact, ContactStatus, Offer
from router.store.shapes import LoadChange, Transition
from router.transitions import cancel_others, changed, contact_timer_ids, seconds

S = ContactStatus


def _ending(
    contact: Contact, offers: list[Offer], now: datetime, ladder_len: int, status: ContactStatus
) -> tuple[Transition, dict[str, Any]]:
    """Shared by close and abandon: give back what the contact holds, stop its timers. The
    contact's own changes come back for the caller's record to make (one copy of it)."""
    t = Transition(
        contact=contact, expect_rev=contact.rev, dequeue=True, disarm=contact_timer_ids(contact, ladder_len)
    )
    cancel_others(t, contact, offers, now)
    if contact.responder and contact.status in (S.assigned, S.answered):
        t.loads.append(LoadChange(contact.responder, contact.channel, -1))
        t.idle[contact.responder] = now
    return t, {"status": status, "closed_at": now, "offer_ids": []}


def close(
    contact: Contact,
    offers: list[Offer],
    disposition: str,
    notes: str | None,
    now: datetime,
    ladder_len: int,
    by: str,
    outcome: dict[str, Any] | None = None,
) -> Transition:
    if not contact.is_open:
        raise InvalidState(f"contact {contact.id} is already {contact.status.value}")
    t, changes = _ending(contact, offers, now, ladder_len, S.closed)
    t.contact, ev = changed(
        contact,
        {**changes, "disposition": disposition, "notes": notes, "outcome": outcome or {}},
        now,
        "closed",
        {
            "disposition": disposition,
            "by": by,
            "handle_s": seconds(contact.answered_at, now) if contact.answered_at else None,
            "responder": contact.responder,
            **closing_facts(outcome or {}, notes),
        },
    )
    t.events.append(ev)
    return t


def _end_waiting(
    contact: Contact,
    offers: list[Offer],
    now: datetime,
    ladder_len: int,
    status: ContactStatus,
    why: str,
    **fields: Any,
) -> Transition:
    """A contact that was never answered ends: the person left, or a partner took them."""
    if not contact.is_unanswered:
        raise InvalidState(
            f"contact {contact.id} is {contact.status.value}: only a waiting contact can be {why}"
        )
    t, changes = _ending(contact, offers, now, ladder_len, status)
    t.contact, ev = changed(
        contact,
        changes,
        now,
        status.value,
        {
            "waited_s": seconds(contact.received_at, now),
            "channel": contact.channel,
            "priority": contact.priority.value,
            **fields,
        },
    )
    t.events.append(ev)
    return t


def hand_off(
    contact: Contact, offers: list[Offer], now: datetime, ladder_len: int, partner: str, how: str
) -> Transition:
    """A partner hotline took the person (a warm transfer of a waiting call): recorded, ended here."""
    return _end_waiting(
        contact, offers, now, ladder_len, S.handed_off, "handed off", partner=partner, via=how
    )


def abandon(contact: Contact, offers: list[Offer], now: datetime, ladder_len: int) -> Transition:
    return _end_waiting(contact, offers, now, ladder_len, S.abandoned, "abandoned")
