"""Responders' time between contacts: wrap-up, breaks, the answer timeout and supervisor reassigns.

Wrap-up rides on the idle times the store already keeps: closing sets the responder's idle time
to the end of their wrap-up, and the dispatcher passes over anyone whose idle time is still in
the future. A `redispatch` timer at that instant makes dispatch look again. A break is presence
`away` with a `break_end` timer that brings the responder back, unless they set their presence
themselves meanwhile (which disarms it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from protocols import Protocol
from router import transitions as tr
from router.clock import to_ms
from router.dispatcher import SLACK, in_wrap_up
from router.errors import Invalid, InvalidState
from router.models import Contact, ContactStatus, Offer, OfferStatus, Presence, Responder
from router.store import LoadChange, Transition
from router.timer_models import Timer, TimerKind
from router.trusted_records import trusted

S = ContactStatus
MAX_BREAK = timedelta(hours=4)
# Where a close under way by SMS keeps its answers on the contact (router/channels/twilio/closing).
CLOSE_DRAFT = "sms_close_draft"


def wrap_up(p: Protocol, contact: Contact, t: Transition, now: datetime) -> None:
    """On close: the responder who held the contact gets no new offer for the protocol's
    `wrap_up`; a redispatch timer wakes dispatch when it ends."""
    rid = contact.responder
    if rid is None or contact.status not in (S.assigned, S.answered) or p.wrap_up <= timedelta(0):
        return
    until = now + p.wrap_up
    t.idle[rid] = until
    t.arm.append(trusted(Timer, id=f"wrapup:{rid}:{to_ms(until)}", kind=TimerKind.redispatch, due=until))
    t.contact, ev = tr.record(t.contact, now, "wrap_up", responder=rid, until=until.isoformat())
    t.events.append(ev)


def answer_timer(p: Protocol, contact: Contact, now: datetime) -> Timer:
    """Armed at accept, disarmed at answer: an accepted contact nobody answers goes back.
    Built unvalidated (`trusted`): the clock's time plus a protocol setting, and our own ids."""
    return trusted(
        Timer,
        id=f"answer:{contact.id}",
        kind=TimerKind.answer_timeout,
        due=now + p.answer_timeout,
        contact_id=contact.id,
    )


def answer_timed_out(p: Protocol, contact: Contact, now: datetime) -> Transition | None:
    """The contact back to its place in the queue (same score and deadline), the responder's
    load released; None when it was answered, released or accepted again meanwhile."""
    if contact.status != S.assigned or contact.assigned_at is None:
        return None
    if contact.assigned_at + p.answer_timeout > now + SLACK:
        return None  # accepted again since this timer was armed: its own timer is still to come
    return tr.release(
        contact, now, f"not answered within {int(p.answer_timeout.total_seconds())}s", "answer_timeout"
    )


def break_timer(rid: str, until: datetime) -> Timer:
    return Timer(id=f"break:{rid}", kind=TimerKind.break_end, due=until, notify=[rid])


def break_length(minutes: float | None, p: Protocol) -> timedelta:
    if minutes is None:
        return p.debrief.break_for if p.debrief else timedelta(minutes=15)
    length = timedelta(minutes=minutes)
    if length <= timedelta(0) or length > MAX_BREAK:
        raise Invalid("minutes", "a break is between 1 and 240 minutes")
    return length


@dataclass(frozen=True)
class ResponderState:
    presence: Presence | None
    wrap_up_until: datetime | None
    break_until: datetime | None

    def view(self) -> dict[str, str | None]:
        return {
            "presence": self.presence,
            "wrap_up_until": self.wrap_up_until.isoformat() if self.wrap_up_until else None,
            "break_until": self.break_until.isoformat() if self.break_until else None,
        }


def state_of(
    rid: str, presence: dict[str, Presence], idle: dict[str, datetime], timers: list[Timer], now: datetime
) -> ResponderState:
    since = idle.get(rid)
    on_break = next((t.due for t in timers if t.id == f"break:{rid}"), None)
    return ResponderState(
        presence=presence.get(rid),
        wrap_up_until=since if in_wrap_up(since, now) else None,
        break_until=on_break if presence.get(rid) == "away" else None,
    )


# -- reassign ----------------------------------------------------------------------------
def reassign(
    contact: Contact,
    to: Responder,
    offers: list[Offer],
    offer_id: str,
    now: datetime,
    timeout: timedelta,
    by: str,
    answer_within: timedelta,
) -> Transition:
    """A supervisor moves a contact to a named responder: a waiting one is offered to them
    (other pending offers withdrawn), a held one changes hands (loads moved)."""
    if contact.channel not in to.channels:
        raise Invalid("responder", f"{to.id} does not take {contact.channel} contacts")
    if contact.status in (S.queued, S.offered):
        base = contact.model_copy(update={"offer_ids": []})
        t = tr.offer(base, [to], [offer_id], now, timeout)
        pending = [o for o in offers if o.status == OfferStatus.pending and o.id in contact.offer_ids]
        for o in pending:
            t.offers.append(o.model_copy(update={"status": OfferStatus.cancelled, "resolved_at": now}))
            t.loads.append(LoadChange(o.responder, contact.channel, -1))
            t.disarm.append(f"offer:{o.id}")
        t.expect_rev = contact.rev
        t.contact, ev = tr.record(t.contact, now, "reassigned", to=to.id, by=by, was=contact.status.value)
        t.events.append(ev)
        return t
    if contact.status not in (S.assigned, S.answered) or contact.responder is None:
        raise InvalidState(f"contact {contact.id} is {contact.status.value}: it cannot be reassigned")
    if contact.channel == "voice":
        # A bridge call is already ringing (or up) to the first responder; moving the contact
        # now would race it. A waiting call can be reassigned; a held one is transferred.
        raise InvalidState(f"a {contact.status.value} call cannot be moved: transfer the call instead")
    if contact.responder == to.id:
        raise InvalidState(f"contact {contact.id} is already with {to.id}")
    # A close the previous responder had begun by SMS is theirs: the new one starts afresh.
    outcome = {k: v for k, v in contact.outcome.items() if k != CLOSE_DRAFT}
    c = contact.model_copy(update={"responder": to.id, "outcome": outcome})
    c, ev = tr.record(
        c, now, "reassigned", to=to.id, by=by, was=contact.status.value, responder=contact.responder
    )
    t = Transition(
        contact=c,
        expect_rev=contact.rev,
        loads=[
            LoadChange(contact.responder, contact.channel, -1),
            LoadChange(to.id, contact.channel, 1, to.capacity_for(contact.channel)),
        ],
        idle={contact.responder: now},
        events=[ev],
    )
    if contact.status == S.assigned:
        # The new responder gets the full time to answer.
        c2 = c.model_copy(update={"assigned_at": now})
        t.contact = c2
        t.arm.append(
            Timer(
                id=f"answer:{c.id}", kind=TimerKind.answer_timeout, due=now + answer_within, contact_id=c.id
            )
        )
    return t
