"""The escalation ladder's transitions: widening who may take a contact, and the breach.

A contact holds one step timer at a time: intake arms the first step, and each step's
transition arms the next, carried in the firing timer (`Timer.then`), so the contact climbs the
ladder it arrived under even if another protocol is activated meanwhile. Answering or ending a
contact disarms the one step timer it holds, not the whole ladder."""

from __future__ import annotations

from datetime import datetime

from router.models import Contact
from router.owed_pages import owed
from router.store import Transition
from router.timer_models import Rung, Timer, TimerKind
from router.transitions import changed, seconds
from router.trusted_records import trusted
from schedules import OnCall

ALL_ROLES = ["primary", "backup", "supervisor"]


def widen(audience: list[str], notify: list[str]) -> list[str]:
    roles = list(audience)
    for target in notify:
        for role in ALL_ROLES if target == "all_on_call" else [target]:
            if role in ALL_ROLES and role not in roles:
                roles.append(role)
    return roles


def paged(oncall: OnCall, notify: list[str]) -> list[str]:
    """Who a page to these roles reaches among those on call, each once, in role order."""
    targets: dict[str, None] = {}
    for role in widen([], notify):
        for rid in oncall.role(role):  # type: ignore[arg-type]
            targets.setdefault(rid, None)
    return list(targets)


def step_timer(contact_id: str, received_at: datetime, rung: Rung, then: list[Rung]) -> Timer:
    """The timer of ladder step `rung` (due `rung.after` from arrival), carrying the steps after it."""
    return trusted(
        Timer,
        id=step_id(contact_id, rung.step),
        kind=TimerKind.escalate,
        due=received_at + rung.after,
        contact_id=contact_id,
        step=rung.step,
        notify=list(rung.notify),
        via=list(rung.via),
        partner=rung.partner,
        then=then,
    )


def step_id(contact_id: str, step: int) -> str:
    return f"esc:{contact_id}:{step}"


def escalate(contact: Contact, timer: Timer, now: datetime) -> Transition | None:
    step = timer.step or 0
    if not contact.is_unanswered or contact.ladder_step > step:
        return None
    level = contact.escalation_level + 1
    # The changes and the event's timeline entry in one copy of the record (`changed`).
    c, ev = changed(
        contact,
        {
            "ladder_step": step + 1,
            "escalation_level": level,
            "audience": widen(contact.audience, timer.notify),
        },
        now,
        "escalated",
        {
            "level": level,
            "step": step + 1,
            "notify": timer.notify,
            "via": timer.via,
            "waited_s": seconds(contact.received_at, now),
        },
    )
    # The next step and this one's pages in the same write: a kill after it can lose neither.
    then = timer.then
    arm = [step_timer(contact.id, contact.received_at, then[0], then[1:])] if then else []
    if timer.notify:
        arm.append(owed(timer.id, contact.id, "escalation", timer.notify, timer.via, now, timer.partner))
    return Transition(contact=c, expect_rev=contact.rev, disarm=[timer.id], arm=arm, events=[ev])


def breach(contact: Contact, timer: Timer, now: datetime) -> Transition | None:
    if not contact.is_unanswered or contact.breached:
        return None
    level = contact.escalation_level + 1
    c, ev = changed(
        contact,
        {"breached": True, "escalation_level": level, "audience": widen(contact.audience, timer.notify)},
        now,
        "breached",
        {
            "level": level,
            "notify": timer.notify,
            "via": timer.via,
            "waited_s": seconds(contact.received_at, now),
            "channel": contact.channel,
            "priority": contact.priority.value,
        },
    )
    # Its pages, its language widening and its partner's hand-off are owed even with nobody
    # named to page: the timer carries them all.
    pages = owed(timer.id, contact.id, "breach", timer.notify, timer.via, now, timer.partner)
    return Transition(contact=c, expect_rev=contact.rev, disarm=[timer.id], arm=[pages], events=[ev])
