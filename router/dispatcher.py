"""Who gets the offer: on call now, present, free on the channel, speaks the language, has the skills.

Pure: the engine hands in a snapshot and gets back a choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from protocols.base import language_key
from protocols.promises import PASSES_PER_STEP
from router.models import Contact, Presence, Responder
from schedules import OnCall

ROLE_ORDER = ("primary", "backup", "supervisor")
# A responder who let one contact pass (decline, lapse, release) PASSES_PER_STEP times at one
# ladder step is not offered it again: re-offering only fills the stream with events. The next
# escalation step (or the breach, or a flag) starts a new round; anyone else is offered it at once.
PASSED = frozenset({"declined", "offer_expired", "released", "answer_timeout"})
STEPPED = frozenset({"escalated", "breached", "language_widened", "flags_added"})

# Idle times are kept to the millisecond: anything closer than this to now is "now".
SLACK = timedelta(milliseconds=1)


def in_wrap_up(idle_since: datetime | None, now: datetime) -> bool:
    """A responder whose idle time lies in the future is wrapping up a contact (no offers)."""
    return idle_since is not None and idle_since - now > SLACK


@dataclass
class Snapshot:
    """What the dispatcher looks at, read once per pass and updated as offers are made."""

    now: datetime
    oncall: OnCall
    responders: dict[str, Responder]
    presence: dict[str, Presence]
    loads: dict[tuple[str, str], int]
    idle: dict[str, datetime]
    roster_version: int | None = None
    held: dict[str, int] = field(default_factory=dict)

    def free(self, rid: str, channel: str) -> bool:
        r = self.responders.get(rid)
        if r is None or self.presence.get(rid) != "available" or in_wrap_up(self.idle.get(rid), self.now):
            return False
        return self.loads.get((rid, channel), 0) < r.capacity_for(channel)

    def took(self, rid: str, channel: str) -> None:
        self.loads[(rid, channel)] = self.loads.get((rid, channel), 0) + 1
        self.idle[rid] = self.now

    def anyone_free(self) -> bool:
        # Asked on every dispatch pass: each responder's presence and wrap-up once, not per channel.
        for rid in self.oncall.everyone:
            r = self.responders.get(rid)
            if r is None or self.presence.get(rid) != "available" or in_wrap_up(self.idle.get(rid), self.now):
                continue
            if any(self.loads.get((rid, ch), 0) < r.capacity_for(ch) for ch in r.channels):
                return True
        return False


@dataclass(frozen=True)
class Choice:
    responder: Responder | None = None
    retry_at: datetime | None = None


def eligible_pool(contact: Contact, oncall: OnCall) -> list[str]:
    """On-call ids in the contact's audience; an empty role falls through to the next one,
    so when nobody is primary the backup stands in at once."""
    roles = [r for r in ROLE_ORDER if r in contact.audience]
    pool: dict[str, None] = {}
    for role in roles:
        for rid in oncall.role(role):  # type: ignore[arg-type]
            pool.setdefault(rid, None)
    if not pool:
        for role in ROLE_ORDER:
            ids = oncall.role(role)  # type: ignore[arg-type]
            if ids:
                return list(ids)
    return list(pool)


def speaks(responder: Responder, language: str | None) -> bool:
    """BCP 47 by primary subtag: an `es-MX` contact is served by an `es` speaker and the reverse."""
    wanted = language_key(language)
    return wanted is None or wanted in {language_key(x) for x in responder.languages}


def suits(responder: Responder, contact: Contact) -> bool:
    if contact.channel not in responder.channels:
        return False
    if not contact.language_open and not speaks(responder, contact.language):
        return False
    return all(skill in responder.skills for skill in contact.skills)


def passes_this_step(contact: Contact) -> dict[str, int]:
    """How often each responder let the contact pass since its ladder last moved."""
    counts: dict[str, int] = {}
    for entry in contact.timeline:
        if entry.event in STEPPED:
            counts.clear()
        elif entry.event in PASSED:
            rid = (entry.model_extra or {}).get("responder")
            if isinstance(rid, str):
                counts[rid] = counts.get(rid, 0) + 1
    return counts


def choose(contact: Contact, snap: Snapshot, cooldown: timedelta) -> Choice:
    """Longest idle first; never someone who just declined while another is free.

    A responder who declined or let the offer lapse waits `cooldown` before it can come
    back to them, and only when nobody else can take it.
    """
    fresh: list[tuple[datetime, str]] = []
    tried: list[tuple[datetime, str]] = []
    waiting: list[datetime] = []
    passes = passes_this_step(contact)
    for rid in eligible_pool(contact, snap.oncall):
        responder = snap.responders.get(rid)
        if responder is None or not suits(responder, contact) or not snap.free(rid, contact.channel):
            continue
        declined_at = contact.declined.get(rid)
        if passes.get(rid, 0) >= PASSES_PER_STEP:
            continue  # they had their chances at this step; the ladder's pages reach them
        if declined_at is None:
            fresh.append((snap.idle.get(rid, snap.now), rid))
        elif declined_at + cooldown <= snap.now:
            tried.append((declined_at, rid))
        else:
            waiting.append(declined_at + cooldown)
    for pool in (fresh, tried):
        if pool:
            _, rid = min(pool)
            return Choice(responder=snap.responders[rid])
    return Choice(retry_at=min(waiting) if waiting else None)


def choose_all(contact: Contact, snap: Snapshot, cooldown: timedelta) -> list[Responder]:
    """Imminent danger: everyone eligible and free at once (those who just passed on it only
    when nobody else is there)."""
    fresh: list[Responder] = []
    tried: list[Responder] = []
    passes = passes_this_step(contact)
    for rid in eligible_pool(contact, snap.oncall):
        responder = snap.responders.get(rid)
        if responder is None or not suits(responder, contact) or not snap.free(rid, contact.channel):
            continue
        if passes.get(rid, 0) >= PASSES_PER_STEP:
            continue
        declined_at = contact.declined.get(rid)
        if declined_at is None:
            fresh.append(responder)
        elif declined_at + cooldown <= snap.now:
            tried.append(responder)
    return fresh or tried
