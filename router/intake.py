"""Intake, pure: from what a channel handed in and the protocol in force, the new contact and
the one transition that persists it, enqueues it and arms its timers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from protocols import Priority, Protocol, Triage
from router import ladder
from router import transitions as tr
from router.errors import RouterError
from router.models import Contact, ContactIn, ContactStatus, Message
from router.owed_pages import danger, owed
from router.store import Transition
from router.timer_models import Rung, Timer, TimerKind
from router.trusted_records import trusted

AFTER_HOURS = "after_hours"
# Arrivals are remembered this long when the protocol has no repeat rule of its own.
DEFAULT_MEMORY = timedelta(hours=24)
# One address may start at most this many contacts an hour (SAFETYNET_SENDER_CONTACTS_PER_HOUR):
# a number or address flooding the line cannot bury everyone else's contacts in the queue.
SENDER_CONTACTS_PER_HOUR = 10
FLOOD_WINDOW = timedelta(hours=1)


class TooManyContacts(RouterError):
    """The sender started `limit` contacts in the last hour: no new queue entry for now."""

    status = 429
    code = "too_many_contacts"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this address started {limit} contacts in the last hour; further messages join an open "
            "contact, and a new one can start later",
            [{"loc": ["from"], "msg": f"at most {limit} new contacts an hour"}],
        )


def check_flood(incoming: ContactIn, previous: list[datetime], now: datetime, limit: int) -> None:
    """Refuse a new contact from a sender already at `limit` in the hour; the hotline's own
    callback and follow-up tasks are never refused."""
    if incoming.callback_for is None and over_limit(previous, now, limit):
        raise TooManyContacts(limit)


def over_limit(previous: list[datetime], now: datetime, limit: int) -> bool:
    return sum(1 for t in previous if t > now - FLOOD_WINDOW) >= limit


def arrival_memory(p: Protocol) -> timedelta:
    """How long a person's arrivals are kept: as far back as the repeat rule looks (a day without
    one), and never less than the flood limit's hour, which counts them too."""
    return max(p.repeat_window or DEFAULT_MEMORY, FLOOD_WINDOW)


class Intake(NamedTuple):
    contact: Contact
    transition: Transition
    triage: Triage


def build(
    incoming: ContactIn,
    p: Protocol,
    now: datetime,
    contact_id: str,
    seq: int,
    roster_version: int | None,
    sender_key: str,
    previous: list[datetime],
) -> Intake:
    text = " ".join(filter(None, [incoming.subject, incoming.body]))
    triage = p.classify(
        incoming.channel, text, incoming.language, at=now, previous=previous, flags=incoming.flags
    )
    priority = triage.priority
    if incoming.priority is not None:
        priority = min(priority, incoming.priority, key=lambda x: x.rank)
    flags = list(dict.fromkeys([*triage.flags, *incoming.flags]))
    if incoming.callback_for and "callback" not in flags:
        flags.append("callback")
    # Standard 27: outside the channel's open hours the contact is still queued and timed; the
    # flag chooses the after-hours text and, if it ends unanswered, the after-hours callback.
    after_hours = not p.is_open(incoming.channel, now)
    if after_hours:
        flags.append(AFTER_HOURS)
    # Imminent danger: everyone the protocol names is offered it at once, the ladder is skipped.
    audience = ladder.widen(["primary"], list(triage.offer_to)) if triage.offer_to else ["primary"]
    # Built without re-validation: every value is ours or came through ContactIn, validated at
    # the boundary (channel, sender, subject, ref, language, skills are its checked fields).
    contact = trusted(
        Contact,
        id=contact_id,
        channel=incoming.channel,
        status=ContactStatus.queued,
        priority=priority,
        flags=flags,
        language=incoming.language,
        skills=list(incoming.skills),
        seq=seq,
        received_at=now,
        deadline=now + p.response_target,
        target_s=p.response_target.total_seconds(),
        protocol_version=p.version,
        roster_version=roster_version,
        sender=incoming.sender,
        sender_key=sender_key,
        subject=incoming.subject,
        ref=incoming.ref,
        callback_for=incoming.callback_for,
        attempt=incoming.attempt or 0,
        parallel=triage.imminent_danger,
        audience=audience,
        opening=p.text(incoming.channel, "callback", incoming.language) if incoming.callback_for else None,
        # The first message, as message_in records it (without its timeline entry: the
        # "received" event says it), in the record as it is built rather than in copies of it.
        messages=[trusted(Message, at=now, direction="in", body=incoming.body)] if incoming.body else [],
    )
    timers = [
        trusted(
            Timer,
            id=f"breach:{contact.id}",
            kind=TimerKind.breach,
            due=contact.deadline,
            contact_id=contact.id,
            notify=list(p.breach_notify),
            via=list(p.breach_via),
        )
    ]
    rungs = () if triage.skip_ladder else ladder_template(p, after_hours)
    if rungs:
        # The first step only; each step arms the next when it fires (router/ladder.py).
        timers.append(ladder.step_timer(contact.id, now, rungs[0], list(rungs[1:])))
    timers += waiting_timers(p, contact, now)
    if triage.page_now:
        # Imminent danger is paged right after this write; kept owed in it (router/owed_pages.py).
        timers.append(
            owed(danger(contact.id), contact.id, "imminent_danger", triage.page_now, triage.page_via, now)
        )
    fields = {
        "channel": contact.channel,
        "priority": contact.priority.value,
        "flags": contact.flags,
        "rules": list(triage.rules),
        "target_s": contact.target_s,
        "protocol_version": p.version,
        "roster_version": roster_version,
        "imminent_danger": triage.imminent_danger,
        "repeat_of": len(previous) or None,
        "after_hours": after_hours or None,
        # for the ledger: what kind of contact this is and which contact a task serves
        "language": contact.language,
        "kind": "follow_up" if "follow_up" in flags else ("callback" if incoming.callback_for else "contact"),
        "serves": incoming.callback_for,
    }
    t = tr.intake(contact, timers, fields, arrival=(sender_key, now, now - arrival_memory(p)))
    return Intake(contact=contact, transition=t, triage=triage)


# Per protocol version (a content address, so a changed protocol is a new entry): what every
# intake would otherwise work out again from the protocol for each contact.
_LADDERS: dict[tuple[str, bool], tuple[Rung, ...]] = {}
_HOLD_TEXT: dict[tuple[str, str | None], bool] = {}
_CACHE_MAX = 256


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_MAX:
        cache.clear()  # protocols change a few times a year; a test suite's many just start afresh
    cache[key] = value


def ladder_template(p: Protocol, after_hours: bool) -> tuple[Rung, ...]:
    """The escalation steps a new contact climbs (those due before its response target),
    prepared once per protocol version. Shared by every contact's timers: never changed."""
    key = (p.version, after_hours)
    found = _LADDERS.get(key)
    if found is None:
        found = tuple(
            Rung(step=i, after=step.after, notify=list(step.notify), via=list(step.via), partner=step.partner)
            for i, step in enumerate(p.ladder(after_hours))
            if step.after < p.response_target
        )
        _remember(_LADDERS, key, found)
    return found


def _has_hold_text(p: Protocol, language: str | None) -> bool:
    key = (p.version, language)
    found = _HOLD_TEXT.get(key)
    if found is None:
        found = bool(p.text("chat", "hold", language))
        _remember(_HOLD_TEXT, key, found)
    return found


def waiting_timers(p: Protocol, contact: Contact, now: datetime) -> list[Timer]:
    """While the person waits: the chat hold notice, and the language fallback."""
    out = []
    interval = p.hold_interval(contact.channel)
    if contact.channel == "chat" and interval and _has_hold_text(p, contact.language):
        out.append(
            trusted(
                Timer, id=f"hold:{contact.id}", kind=TimerKind.hold, due=now + interval, contact_id=contact.id
            )
        )
    if contact.language and p.language_fallback is not None:
        out.append(
            trusted(
                Timer,
                id=f"lang:{contact.id}",
                kind=TimerKind.language_fallback,
                due=now + p.language_fallback.after,
                contact_id=contact.id,
            )
        )
    return out


def callback_in(
    original: Contact, channel: str, priority: Priority, attempt: int = 1, reason: str = "abandoned"
) -> ContactIn:
    """The callback task for a missed or abandoned contact: itself queued, offered and timed."""
    return ContactIn.model_validate(
        {
            "channel": channel,
            "from": original.sender,
            "language": original.language,
            "callback_for": original.id,
            "priority": priority,
            "attempt": attempt,
            "flags": ["callback", f"callback_{reason}"],
        }
    )
