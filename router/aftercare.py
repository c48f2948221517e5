"""What the protocol asks after the moment: callbacks for missed and abandoned contacts,
partner handoffs when the ladder overflows, and follow-ups that confirm a referral was taken.
Pure builders of timers and transitions; the engine applies and fires them."""

from __future__ import annotations

from datetime import datetime

from protocols import HANDLE_WITH_CARE, Partner, Protocol
from router.models import Contact, Message
from router.store import Transition
from router.timer_models import Timer, TimerKind
from router.transitions import record
from router.trusted_records import trusted


def callback_timer(
    p: Protocol, contact: Contact, reason: str, now: datetime, attempt: int = 1
) -> Timer | None:
    """Standard 28, returning missed calls: attempt `attempt` of the protocol's callback rule
    for `contact` (the original), due after `due_after` (the first) or `spacing` (the next)."""
    if "after_hours" in contact.flags and p.callback_for("after_hours", contact.channel) is not None:
        reason = "after_hours"  # Standard 27: the protocol's own rule for requests out of hours
    rule = p.callback_for(reason, contact.channel)
    if rule is None or attempt > rule.attempts:
        return None
    if rule.only_if_safe and HANDLE_WITH_CARE in contact.flags:
        return None  # calling back could alert an abuser
    due = rule.due_times(now)[0] if attempt == 1 else now + rule.spacing
    return trusted(
        Timer,
        id=f"callback:{contact.id}:{attempt}",
        kind=TimerKind.callback,
        due=due,
        contact_id=contact.id,
        step=attempt,
        via=[rule.channel_for(contact.channel)],
        notify=[rule.priority.value, reason],
    )


def callback_reason(task: Contact) -> str:
    """Why a callback task exists (its flag), so the next attempt follows the same rule."""
    return next((f.removeprefix("callback_") for f in task.flags if f.startswith("callback_")), "abandoned")


def next_callback(
    p: Protocol, closing: Contact, original: Contact | None, disposition: str, now: datetime
) -> Timer | None:
    """On closing: a callback nobody reached gets its next attempt; a contact closed without
    ever being answered (missed) gets its first. `original` is what a callback calls back."""
    if closing.callback_for:
        if disposition != "callback_unreached" or original is None:
            return None
        return callback_timer(p, original, callback_reason(closing), now, closing.attempt + 1)
    if closing.answered_at is None:
        return callback_timer(p, closing, "missed", now)
    return None


def follow_up_timer(p: Protocol, contact: Contact, now: datetime) -> Timer:
    """Standards 23/35: after a referral or a partner handoff, confirm the person was taken on."""
    return trusted(
        Timer,
        id=f"followup:{contact.id}",
        kind=TimerKind.follow_up,
        due=now + p.referral_follow_up.after,
        contact_id=contact.id,
        step=1,
        via=[contact.channel],
        notify=["normal"],
    )


def partner_handoff(p: Protocol, contact: Contact, partner: Partner, now: datetime) -> Transition | None:
    """Overflow to a partner hotline. On a text channel the person gets the partner's details
    and the handoff is recorded with a follow-up; a call is never dropped: the voice adapter
    hears `partner_transfer_requested` and may warm-transfer while the caller waits."""
    if not contact.is_unanswered:
        return None
    if contact.channel == "voice":
        c, ev = record(
            contact,
            now,
            "partner_transfer_requested",
            partner=partner.id,
            flags=p.handoff_flags(contact.flags),
        )
        return Transition(contact=c, expect_rev=contact.rev, events=[ev])
    text = p.handoff_message(contact.channel, contact.language, partner)
    if text is None:
        text = f"If you cannot wait, {partner.name} can help: " + ", ".join(
            f"{k} {v}" for k, v in partner.details().items() if v and k != "partner"
        )
    c = contact.model_copy(
        update={"messages": [*contact.messages, Message(at=now, direction="out", body=text)]}
    )
    c, sent = record(c, now, "message_sent", system=True)
    c, ev = record(c, now, "partner_handoff", partner=partner.id, flags=p.handoff_flags(contact.flags))
    return Transition(
        contact=c,
        expect_rev=contact.rev,
        events=[sent, ev],
        arm=[follow_up_timer(p, contact, now)] if p.referral_follow_up.handoffs_too else [],
    )
