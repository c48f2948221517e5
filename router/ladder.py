"""The escalation ladder's transitions: widening who may take a contact, and the breach."""

from __future__ import annotations

from datetime import datetime

from router.models import Contact, Timer
from router.store import Transition
from router.transitions import evolve, record, seconds

ALL_ROLES = ["primary", "backup", "supervisor"]


def widen(audience: list[str], notify: list[str]) -> list[str]:
    roles = list(audience)
    for target in notify:
        for role in ALL_ROLES if target == "all_on_call" else [target]:
            if role in ALL_ROLES and role not in roles:
                roles.append(role)
    return roles


def escalate(contact: Contact, timer: Timer, now: datetime) -> Transition | None:
    step = timer.step or 0
    if not contact.is_unanswered or contact.ladder_step > step:
        return None
    c = evolve(
        contact,
        {
            "ladder_step": step + 1,
            "escalation_level": contact.escalation_level + 1,
            "audience": widen(contact.audience, timer.notify),
        },
    )
    c, ev = record(
        c,
        now,
        "escalated",
        level=c.escalation_level,
        step=step + 1,
        notify=timer.notify,
        via=timer.via,
        waited_s=seconds(contact.received_at, now),
    )
    return Transition(contact=c, expect_rev=contact.rev, disarm=[timer.id], events=[ev])


def breach(contact: Contact, timer: Timer, now: datetime) -> Transition | None:
    if not contact.is_unanswered or contact.breached:
        return None
    c = evolve(
        contact,
        {
            "breached": True,
            "escalation_level": contact.escalation_level + 1,
            "audience": widen(contact.audience, timer.notify),
        },
    )
    c, ev = record(
        c,
        now,
        "breached",
        level=c.escalation_level,
        notify=timer.notify,
        via=timer.via,
        waited_s=seconds(contact.received_at, now),
        channel=contact.channel,
        priority=contact.priority.value,
    )
    return Transition(contact=c, expect_rev=contact.rev, disarm=[timer.id], events=[ev])
