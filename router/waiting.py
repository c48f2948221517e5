"""While the person waits: the chat hold notice at the protocol's interval, and the language
fallback that widens the offer when nobody on call speaks the person's language. Pure builders;
the timer loop fires them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from protocols import Protocol
from router.dispatcher import speaks
from router.models import Contact, Message, Responder
from router.store import Transition
from router.timer_models import Timer, TimerKind
from router.transitions import record


def hold_notice(p: Protocol, contact: Contact, timer: Timer, now: datetime) -> Transition | None:
    """The hold text to a person still waiting in chat, and the next notice armed."""
    interval = p.hold_interval(contact.channel)
    text = p.text(contact.channel, "hold", contact.language)
    if not contact.is_unanswered or interval is None or text is None:
        return None
    msg = Message(at=now, direction="out", body=text)
    c = contact.model_copy(update={"messages": [*contact.messages, msg]})
    c, ev = record(c, now, "hold_notice")
    again = Timer(id=timer.id, kind=TimerKind.hold, due=now + interval, contact_id=contact.id)
    return Transition(contact=c, expect_rev=contact.rev, arm=[again], events=[ev])


def widen_language(
    p: Protocol, contact: Contact, on_call: Iterable[Responder], now: datetime, reason: str
) -> Transition | None:
    """Language stops limiting who is offered the contact. At the protocol's fallback time only
    when nobody on call speaks it; at the breach (`reason="breach"`) whatever the protocol says."""
    if not contact.is_unanswered or contact.language_open or not contact.language:
        return None
    if reason != "breach" and any(speaks(r, contact.language) for r in on_call):
        return None
    interpreter = p.language_fallback.interpreter if p.language_fallback else None
    c = contact.model_copy(update={"language_open": True, "interpreter": interpreter})
    c, ev = record(
        c, now, "language_widened", language=contact.language, reason=reason, interpreter=interpreter
    )
    return Transition(contact=c, expect_rev=contact.rev, events=[ev])
