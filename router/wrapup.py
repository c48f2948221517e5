"""What closing a contact sets in motion: the checks before it, and in the same transition the
referral follow-ups, callbacks, the responder's wrap-up, the debrief offer and the feedback question."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from protocols import HANDLE_WITH_CARE, Protocol
from router import aftercare, staffing
from router import transitions as tr
from router.models import Contact, ContactStatus
from router.store import Transition
from router.timer_models import Timer, TimerKind
from router.trusted_records import trusted

FOLLOW_UP = "follow_up"


def is_follow_up(contact: Contact) -> bool:
    return FOLLOW_UP in contact.flags and contact.callback_for is not None


def follow_up_dispositions(p: Protocol) -> tuple[str, str]:
    f = p.referral_follow_up
    return f.confirm_disposition, f.unconfirmed_disposition


def close_problems(p: Protocol, contact: Contact, disposition: str, record: Mapping[str, Any]) -> list[str]:
    """Why this close cannot be recorded yet ("field: what is missing"); empty when it can."""
    if is_follow_up(contact) and disposition in follow_up_dispositions(p):
        return _confirmation_problems(p, disposition, record)
    if "dispositions" in p.model_fields_set or disposition in p.dispositions:
        return p.close_problems(disposition, contact.flags, record)
    if p.requires_mandated_report(contact.flags) and not record.get("mandated_report"):
        return ["mandated_report: this contact is flagged for a mandated report; record it"]
    return []  # a protocol that names no dispositions accepts any label


def _confirmation_problems(p: Protocol, disposition: str, record: Mapping[str, Any]) -> list[str]:
    wanted = p.referral_follow_up.confirm_with
    said = record.get("confirmed_with")
    if disposition != p.referral_follow_up.confirm_disposition or said is None:
        return []
    if said not in ("partner", "person") or (wanted != "either" and said != wanted):
        allowed = "partner or person" if wanted == "either" else wanted
        return [f"confirmed_with: the protocol confirms with the {allowed}"]
    return []


def follow_up_timer(p: Protocol, original_id: str, channel: str, due: datetime, attempt: int) -> Timer:
    """Attempt `attempt` of the referral follow-up for contact `original_id`."""
    return trusted(
        Timer,
        id=f"followup:{original_id}" + (f":{attempt}" if attempt > 1 else ""),
        kind=TimerKind.follow_up,
        due=due,
        contact_id=original_id,
        step=attempt,
        via=[channel],
        notify=["normal"],
    )


def on_close(
    p: Protocol,
    before: Contact,
    original: Contact | None,
    t: Transition,
    disposition: str,
    outcome: Mapping[str, Any],
    now: datetime,
) -> None:
    """Add to the close transition everything the protocol asks to follow it."""
    if outcome.get("referral"):
        t.arm.append(follow_up_timer(p, before.id, before.channel, now + p.referral_follow_up.after, 1))
    if is_follow_up(before) and disposition in follow_up_dispositions(p):
        _follow_up_result(p, before, t, disposition, outcome, now)
    else:
        retry = aftercare.next_callback(p, before, original, disposition, now)
        if retry is not None:
            t.arm.append(retry)
    staffing.wrap_up(p, before, t, now)
    if p.debrief and before.responder and p.debrief.applies(before.flags, disposition):
        t.contact, ev = tr.record(
            t.contact,
            now,
            "debrief_offered",
            responder=before.responder,
            reason=sorted(set(p.debrief.after) & {*before.flags, disposition}),
            break_s=int(p.debrief.break_for.total_seconds()),
        )
        t.events.append(ev)
    if wants_feedback(p, before):
        t.contact, ev = tr.record(t.contact, now, "feedback_asked", language=before.language)
        t.events.append(ev)


def _follow_up_result(
    p: Protocol, task: Contact, t: Transition, disposition: str, outcome: Mapping[str, Any], now: datetime
) -> None:
    """Standards 23/35: a confirmation ends the follow-ups; no confirmation schedules the next."""
    f = p.referral_follow_up
    assert task.callback_for is not None
    attempt = max(task.attempt, 1)
    if disposition == f.confirm_disposition:
        t.contact, ev = tr.record(
            t.contact,
            now,
            "referral_confirmed",
            for_contact=task.callback_for,
            attempt=attempt,
            confirmed_with=outcome.get("confirmed_with") or f.confirm_with,
        )
        t.events.append(ev)
        return
    nxt = attempt + 1 if attempt < f.attempts else None
    due = now + f.spacing if nxt else None
    if nxt and due:
        t.arm.append(follow_up_timer(p, task.callback_for, task.channel, due, nxt))
    t.contact, ev = tr.record(
        t.contact,
        now,
        "referral_unconfirmed",
        for_contact=task.callback_for,
        attempt=attempt,
        attempts=f.attempts,
        next_attempt_at=due.isoformat() if due else None,
    )
    t.events.append(ev)


def wants_feedback(p: Protocol, contact: Contact) -> bool:
    """Ask the protocol's feedback question only of a person a responder actually talked with,
    on a text channel, and never when texting them afterwards could put them at risk."""
    fb = p.feedback
    if fb is None or contact.channel not in fb.channels or contact.answered_at is None:
        return False
    if contact.callback_for is not None or contact.status != ContactStatus.answered:
        return False
    return not ({*fb.skip_flags, HANDLE_WITH_CARE} & set(contact.flags))
