"""Pure builders: from a contact's current state and `now`, the Transition that moves it on.

Each returns None when the change no longer applies (a stale timer), or raises
InvalidState when the caller asked for something the state does not allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from router.errors import InvalidState, RouterError
from router.models import (
    Contact,
    ContactStatus,
    Event,
    Message,
    Offer,
    OfferStatus,
    Responder,
    TimelineEntry,
)
from router.store.shapes import LoadChange, Transition
from router.timer_models import Timer, TimerKind
from router.trusted_records import evolve, trusted, trusted_full

S = ContactStatus
# Channels where the hotline writes first on a callback (the protocol's `callback` text).
OPENING_SENT = frozenset({"sms", "email"})
PRIORITY_SPAN = float(2**40)


def queue_score(contact: Contact) -> float:
    """Priority first, then arrival: the score never changes, so re-queueing keeps the place."""
    return contact.priority.rank * PRIORITY_SPAN + contact.seq


def record(contact: Contact, now: datetime, event: str, **fields: Any) -> tuple[Contact, Event]:
    """The contact with one more timeline entry, and the matching stream event."""
    return changed(contact, None, now, event, fields)


def changed(
    contact: Contact, changes: dict[str, Any] | None, now: datetime, event: str, fields: dict[str, Any]
) -> tuple[Contact, Event]:
    """`record` of the contact with `changes` made in the same copy: one copy per transition,
    not two (the event's status is the changed one, as when `evolve` came first)."""
    # Both built without validation (`trusted`): `now` is the clock's, the names are the code's,
    # and extra fields were never validated anyway (both models keep extras as given).
    # Every field given, in order; `fields` are all extras (a field name among them would be a
    # duplicate keyword for Event, as it always was).
    entry = trusted_full(TimelineEntry, {"at": now, "event": event}, dict(fields))
    timeline = [*contact.timeline, entry]
    updated = evolve(contact, {**changes, "timeline": timeline} if changes else {"timeline": timeline})
    status = updated.status.value
    ev = trusted_full(Event, {"at": now, "event": event, "contact_id": contact.id, "status": status}, fields)
    return updated, ev


def seconds(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds(), 3)


def contact_timer_ids(contact: Contact, ladder_len: int) -> list[str]:
    """Every timer the contact may hold: its ladder's one armed step is the next to climb
    (router/ladder.py arms them one at a time), none once the ladder has run out."""
    cid = contact.id
    ids = [f"breach:{cid}", f"grace:{cid}", f"answer:{cid}", f"hold:{cid}", f"lang:{cid}"]
    if contact.ladder_step < ladder_len:
        ids.append(f"esc:{cid}:{contact.ladder_step}")
    ids += [f"offer:{oid}" for oid in contact.offer_ids]
    return ids


def intake(
    contact: Contact,
    timers: list[Timer],
    fields: dict[str, Any],
    arrival: tuple[str, datetime, datetime] | None = None,
) -> Transition:
    c, ev = record(contact, contact.received_at, "received", **fields)
    return Transition(
        contact=c, expect_rev=None, enqueue_score=queue_score(c), arm=timers, events=[ev], arrival=arrival
    )


def offer(
    contact: Contact, responders: list[Responder], offer_ids: list[str], now: datetime, timeout: timedelta
) -> Transition:
    """Offer the contact to one responder, or (imminent danger) to several at once."""
    t = Transition(contact=contact, expect_rev=contact.rev, dequeue=True)
    c = contact
    # Made in the first offer's record: one copy of the contact for the whole change.
    changes: dict[str, Any] | None = {
        "status": S.offered,
        "offered_at": contact.offered_at or now,
        "offer_ids": [*contact.offer_ids, *offer_ids],
    }
    for responder, oid in zip(responders, offer_ids, strict=True):
        o = trusted(
            Offer,
            id=oid,
            contact_id=contact.id,
            responder=responder.id,
            channel=contact.channel,
            priority=contact.priority,
            created_at=now,
            expires_at=now + timeout,
        )
        c, ev = changed(
            c,
            changes,
            now,
            "offered",
            {
                "responder": responder.id,
                "offer_id": oid,
                "time_to_offer_s": seconds(contact.received_at, now),
            },
        )
        changes = None
        t.offers.append(o)
        t.loads.append(LoadChange(responder.id, contact.channel, 1, responder.capacity_for(contact.channel)))
        t.require_available.append(responder.id)
        t.idle[responder.id] = now
        t.arm.append(
            trusted(
                Timer,
                id=f"offer:{oid}",
                kind=TimerKind.offer_timeout,
                due=o.expires_at,
                contact_id=contact.id,
                offer_id=oid,
            )
        )
        t.events.append(ev)
    t.contact = c
    return t


def _pending(contact: Contact, offer: Offer) -> bool:
    return (
        offer.status == OfferStatus.pending and contact.status == S.offered and offer.id in contact.offer_ids
    )


def cancel_others(t: Transition, contact: Contact, others: Sequence[Offer], now: datetime) -> None:
    """Every other pending offer of the contact ends: loads given back, timers disarmed."""
    for other in others:
        if other.status != OfferStatus.pending or other.id not in contact.offer_ids:
            continue
        t.offers.append(evolve(other, {"status": OfferStatus.cancelled, "resolved_at": now}))
        t.loads.append(LoadChange(other.responder, contact.channel, -1))
        t.disarm.append(f"offer:{other.id}")


def accept(contact: Contact, offer: Offer, now: datetime, others: Sequence[Offer] = ()) -> Transition:
    if not _pending(contact, offer):
        raise InvalidState(
            f"offer {offer.id} is {_offer_state(contact, offer)}: it can no longer be accepted"
        )
    if now >= offer.expires_at:
        raise InvalidState(f"offer {offer.id} expired at {offer.expires_at.isoformat()}")
    o = evolve(offer, {"status": OfferStatus.accepted, "resolved_at": now})
    c, ev = changed(
        contact,
        {"status": S.assigned, "responder": offer.responder, "assigned_at": now, "offer_ids": []},
        now,
        "accepted",
        {
            "responder": offer.responder,
            "offer_id": offer.id,
            "time_to_accept_s": seconds(contact.received_at, now),
        },
    )
    t = Transition(contact=c, expect_rev=contact.rev, offers=[o], disarm=[f"offer:{offer.id}"], events=[ev])
    cancel_others(t, contact, [x for x in others if x.id != offer.id], now)
    if (
        contact.opening
        and contact.channel in OPENING_SENT
        and not any(m.direction == "out" for m in c.messages)
    ):
        # A callback's first words are the protocol's safety check ("is it safe to talk?"),
        # sent as the responder takes it; it does not count as the answer.
        first = trusted(Message, at=now, direction="out", body=contact.opening)
        changes = {"messages": [*c.messages, first]}
        t.contact, sent = changed(c, changes, now, "message_sent", {"system": True, "opening": True})
        t.events.append(sent)
    return t


def _offer_state(contact: Contact, offer: Offer) -> str:
    if offer.status != OfferStatus.pending:
        return offer.status.value
    return "no longer current"


def release_offer(contact: Contact, offer: Offer, now: datetime, outcome: OfferStatus) -> Transition | None:
    """Decline or expiry: the offer ends; with no other offer out, the contact goes back to
    its place in the queue."""
    if not _pending(contact, offer):
        if outcome == OfferStatus.declined:
            raise InvalidState(
                f"offer {offer.id} is {_offer_state(contact, offer)}: it can no longer be declined"
            )
        return None
    o = evolve(offer, {"status": outcome, "resolved_at": now})
    left = [oid for oid in contact.offer_ids if oid != offer.id]
    changes = {
        "status": S.offered if left else S.queued,
        "offer_ids": left,
        "declined": {**contact.declined, offer.responder: now},
    }
    name = "declined" if outcome == OfferStatus.declined else "offer_expired"
    c, ev = changed(contact, changes, now, name, {"responder": offer.responder, "offer_id": offer.id})
    return Transition(
        contact=c,
        expect_rev=contact.rev,
        enqueue_score=None if left else queue_score(c),
        offers=[o],
        loads=[LoadChange(offer.responder, contact.channel, -1)],
        disarm=[f"offer:{offer.id}"],
        events=[ev],
    )


def answer(contact: Contact, now: datetime, ladder_len: int, how: str) -> Transition:
    if contact.status != S.assigned:
        raise InvalidState(
            f"contact {contact.id} is {contact.status.value}: only an assigned contact can be answered"
        )
    waited = seconds(contact.received_at, now)
    c, ev = changed(
        contact,
        {"status": S.answered, "answered_at": now},
        now,
        "answered",
        {
            "responder": contact.responder,
            "via": how,
            "time_to_answer_s": waited,
            "within_target": waited <= contact.target_s,
            "channel": contact.channel,
            "priority": contact.priority.value,
        },
    )
    return Transition(
        contact=c,
        expect_rev=contact.rev,
        disarm=contact_timer_ids(contact, ladder_len),
        events=[ev],
    )


def message_out(contact: Contact, body: str, responder: str, now: datetime, ladder_len: int) -> Transition:
    if contact.status not in (S.assigned, S.answered):
        raise InvalidState(
            f"contact {contact.id} is {contact.status.value}: messages go to an assigned or answered contact"
        )
    if contact.channel == "voice":
        raise InvalidState("voice contacts are answered when the call is bridged, not by a message")
    base = answer(contact, now, ladder_len, "first_reply") if contact.status == S.assigned else None
    current = base.contact if base else contact
    msg = trusted(Message, at=now, direction="out", body=body, responder=responder)
    c, ev = changed(
        current, {"messages": [*current.messages, msg]}, now, "message_sent", {"responder": responder}
    )
    if base:
        base.contact = c
        base.events.append(ev)
        return base
    return Transition(contact=c, expect_rev=contact.rev, events=[ev])


def note(contact: Contact, now: datetime, event: str, fields: dict[str, Any]) -> Transition:
    """A timeline entry with no change of state (the person left the chat, a call dropped)."""
    c, ev = record(contact, now, event, **fields)
    return Transition(contact=c, expect_rev=contact.rev, events=[ev])


def set_language(contact: Contact, language: str, now: datetime) -> Transition:
    if not contact.is_unanswered:
        raise InvalidState(f"contact {contact.id} is {contact.status.value}: its language is settled")
    c, ev = changed(contact, {"language": language}, now, "language_set", {"language": language})
    return Transition(contact=c, expect_rev=contact.rev, events=[ev])


def release(contact: Contact, now: datetime, reason: str, event: str = "released") -> Transition:
    """An accepted contact nobody could connect to goes back to its place in the queue; the
    responder who held it is passed over for a while, like one who declined."""
    if contact.status != S.assigned or contact.responder is None:
        raise InvalidState(
            f"contact {contact.id} is {contact.status.value}: "
            "only an assigned, unanswered contact can be released"
        )
    changes = {
        "status": S.queued,
        "responder": None,
        "assigned_at": None,
        "declined": {**contact.declined, contact.responder: now},
    }
    c, ev = changed(contact, changes, now, event, {"responder": contact.responder, "reason": reason})
    return Transition(
        contact=c,
        expect_rev=contact.rev,
        enqueue_score=queue_score(c),
        loads=[LoadChange(contact.responder, contact.channel, -1)],
        idle={contact.responder: now},
        disarm=[f"answer:{contact.id}"],
        events=[ev],
    )


class AlreadyReceived(InvalidState):
    """The message's delivery is already on the contact: a provider repeated it."""


# What one contact keeps of what the person wrote: far beyond any conversation (a long crisis
# chat is a few hundred messages; mail comes cut to 20,000 characters), and a bound on what a
# flood into one open contact (a mail loop, a script) makes every later write of it rewrite.
MAX_MESSAGES_IN = 1000
MAX_TEXT_IN = 1_000_000  # characters
# The timeline's note that the person wrote more than the contact keeps (once in a row).
CONVERSATION_FULL = "conversation_full"


class ConversationFull(RouterError):
    """The contact holds as much of what the person wrote as one contact keeps (413)."""

    status = 413
    code = "conversation_full"


def message_in(contact: Contact, body: str, now: datetime, delivery: str | None = None) -> Transition:
    if not contact.is_open:
        raise InvalidState(f"contact {contact.id} is {contact.status.value}")
    if delivery is not None and any(
        (e.model_extra or {}).get("delivery") == delivery for e in contact.timeline
    ):
        raise AlreadyReceived(f"contact {contact.id} already has this message")
    # After the repeat check: a provider's retry of a message already kept is a repeat, not more.
    held = [m.body for m in contact.messages if m.direction == "in"]
    if len(held) >= MAX_MESSAGES_IN or sum(map(len, held)) + len(body) > MAX_TEXT_IN:
        raise ConversationFull(
            f"contact {contact.id} holds {len(held)} messages from the person: as much as one contact keeps"
        )
    msg = trusted(Message, at=now, direction="in", body=body)
    fields = {"delivery": delivery} if delivery else {}
    c, ev = changed(contact, {"messages": [*contact.messages, msg]}, now, "message_received", fields)
    return Transition(contact=c, expect_rev=contact.rev, events=[ev])
