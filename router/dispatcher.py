"""Who gets the offer: on call now, present, free on the channel, speaks the language, has the skills.

Pure: the engine hands in a snapshot and gets back a choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

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
    """What the dispatcher looks at, read once per pass and updated as offers are made. Its
    loads and idle times may be the store's shared state (never changed in place): the first
    offer a pass makes (`took`) copies them, so a decision that makes none (intake's) copies
    nothing."""

    now: datetime
    oncall: OnCall
    responders: dict[str, Responder]
    presence: dict[str, Presence]
    loads: dict[tuple[str, str], int]
    idle: dict[str, datetime]
    roster_version: int | None = None
    held: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # in_wrap_up's bound, worked out once: `free` is asked per responder per decision.
        self._busy_after = self.now + SLACK
        self._copied = False

    def free(self, rid: str, channel: str) -> bool:
        r = self.responders.get(rid)
        if r is None or self.presence.get(rid) != "available":
            return False
        idle = self.idle.get(rid)
        if idle is not None and idle > self._busy_after:  # in_wrap_up, inlined
            return False
        return self.loads.get((rid, channel), 0) < r.capacity_for(channel)

    def took(self, rid: str, channel: str) -> None:
        if not self._copied:
            self.loads, self.idle, self._copied = dict(self.loads), dict(self.idle), True
        self.loads[(rid, channel)] = self.loads.get((rid, channel), 0) + 1
        self.idle[rid] = self.now

    def anyone_free(self) -> bool:
        # Asked on every dispatch pass and after every offer: each responder's presence and
        # wrap-up once, not per channel, with the look-ups bound once and each one's channels
        # and capacities worked out once per roster slot and responders' records (`_reachable`).
        presence, idle, loads, busy_after = self.presence, self.idle, self.loads, self._busy_after
        for rid, seats in _reachable(self.oncall.everyone, self.responders):
            if presence.get(rid) != "available":
                continue
            since = idle.get(rid)
            if since is not None and since > busy_after:
                continue
            for key, capacity in seats:
                if loads.get(key, 0) < capacity:
                    return True
        return False


class Choice(NamedTuple):
    """A decision: who is offered it, or when to look again. A tuple: one is made per decision,
    and a frozen dataclass's field-by-field __init__ cost twice as much."""

    responder: Responder | None = None
    retry_at: datetime | None = None


def eligible_pool(contact: Contact, oncall: OnCall) -> list[str]:
    """On-call ids in the contact's audience; an empty role falls through to the next one,
    so when nobody is primary the backup stands in at once."""
    audience = contact.audience
    pool: dict[str, None] = {}
    for role in ROLE_ORDER:
        if role in audience:
            pool.update(dict.fromkeys(oncall.role(role)))  # type: ignore[arg-type]
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
    wanted = None if contact.language_open else language_key(contact.language)
    return _suits(responder, contact.channel, wanted, contact.skills)


def _suits(responder: Responder, channel: str, wanted: str | None, skills: list[str]) -> bool:
    """`suits` with the contact's side worked out once per decision (`wanted`: its language's
    key, None when language does not limit the offer)."""
    if channel not in responder.channels:
        return False
    if wanted is not None and wanted not in {language_key(x) for x in responder.languages}:
        return False
    return not skills or all(skill in responder.skills for skill in skills)


def passes_this_step(contact: Contact) -> dict[str, int]:
    """How often each responder let the contact pass since its ladder last moved."""
    counts: dict[str, int] = {}
    for entry in contact.timeline:
        event = entry.event
        if event in STEPPED:
            counts.clear()
        elif event in PASSED:
            # The extras themselves (`model_extra` is a property around this very dict).
            rid = (entry.__pydantic_extra__ or {}).get("responder")
            if isinstance(rid, str):
                counts[rid] = counts.get(rid, 0) + 1
    return counts


def choose(contact: Contact, snap: Snapshot, cooldown: timedelta) -> Choice:
    """Longest idle first; never someone who just declined while another is free.

    A responder who declined or let the offer lapse waits `cooldown` before it can come
    back to them, and only when nobody else can take it.
    """
    # The first of each pool by (idle or declined, id): the fresh one's two parts kept apart, so
    # that most candidates are passed over by one comparison, with no tuple made for them.
    fresh_at: datetime | None = None
    fresh_rid = ""
    tried: tuple[datetime, str] | None = None
    waiting: list[datetime] = []
    # The contact's side of every check worked out once; its passes only once someone is free.
    passes: dict[str, int] | None = None
    channel, skills, declined, now = contact.channel, contact.skills, contact.declined, snap.now
    wanted = None if contact.language_open else language_key(contact.language)
    limits = wanted is not None or bool(skills)
    presence, idle, loads = snap.presence, snap.idle, snap.loads
    busy_after = snap._busy_after
    # `Snapshot.free` and `_suits`, inlined: asked of everyone on call at every offer (75 on
    # call made this loop a fifth of intake's CPU), the cheapest look-ups first; who in the
    # audience has the channel at all, and their capacity on it, worked out once (`_pool`).
    for rid, responder, capacity, load_key in _pool(contact, channel, snap.oncall, snap.responders):
        if presence.get(rid) != "available":
            continue
        since = idle.get(rid)
        if since is not None and since > busy_after:  # in_wrap_up
            continue
        if loads.get(load_key, 0) >= capacity:
            continue
        if limits and not _suits(responder, channel, wanted, skills):
            continue
        if passes is None:
            passes = passes_this_step(contact)
        if passes and passes.get(rid, 0) >= PASSES_PER_STEP:
            continue  # they had their chances at this step; the ladder's pages reach them
        declined_at = declined.get(rid) if declined else None
        if declined_at is None:
            at = now if since is None else since
            if fresh_at is None or at < fresh_at or (at == fresh_at and rid < fresh_rid):
                fresh_at, fresh_rid = at, rid
        elif declined_at + cooldown <= now:
            if tried is None or (declined_at, rid) < tried:
                tried = (declined_at, rid)
        else:
            waiting.append(declined_at + cooldown)
    if fresh_at is not None:
        return Choice(responder=snap.responders[fresh_rid])
    if tried is not None:
        return Choice(responder=snap.responders[tried[1]])
    return Choice(retry_at=min(waiting) if waiting else None)


def choose_all(contact: Contact, snap: Snapshot, cooldown: timedelta) -> list[Responder]:
    """Imminent danger: everyone eligible and free at once (those who just passed on it only
    when nobody else is there)."""
    fresh: list[Responder] = []
    tried: list[Responder] = []
    passes = passes_this_step(contact)
    wanted = None if contact.language_open else language_key(contact.language)
    for rid in eligible_pool(contact, snap.oncall):
        responder = snap.responders.get(rid)
        if (
            responder is None
            or not _suits(responder, contact.channel, wanted, contact.skills)
            or not snap.free(rid, contact.channel)
        ):
            continue
        if passes.get(rid, 0) >= PASSES_PER_STEP:
            continue
        declined_at = contact.declined.get(rid)
        if declined_at is None:
            fresh.append(responder)
        elif declined_at + cooldown <= snap.now:
            tried.append(responder)
    return fresh or tried


# What the checks above need of who is on call, worked out once and kept while its inputs are
# the very same objects: a roster slot's role tuples (shared by every lookup in the slot, see
# schedules.OnCallIndex) and the dispatch state's responders' records (shared by every state
# carried forward or read while no record changed). Neither is ever changed in place; holding
# them here keeps them alive, so `is` cannot be fooled by a reused id.
Seat = tuple[str, Responder, int, tuple[str, str]]  # id, record, capacity on the channel, load key
Seats = tuple[tuple[tuple[str, str], int], ...]  # a responder's load key and capacity per channel
_POOLS: dict[tuple[tuple[str, ...], str], tuple[object, object, object, object, list[Seat]]] = {}
_REACHABLE: list[tuple[object, object, list[tuple[str, Seats]]]] = []


def _pool(contact: Contact, channel: str, oncall: OnCall, responders: dict[str, Responder]) -> list[Seat]:
    """`eligible_pool` of those with a record and the channel, each with their capacity on it."""
    audience = tuple(contact.audience)
    held = _POOLS.get((audience, channel))
    if (
        held is not None
        and held[0] is oncall.primary
        and held[1] is oncall.backup
        and held[2] is oncall.supervisor
        and held[3] is responders
    ):
        return held[4]
    seats: list[Seat] = []
    for rid in eligible_pool(contact, oncall):
        responder = responders.get(rid)
        if responder is not None and channel in responder.channels:
            seats.append((rid, responder, responder.capacity_for(channel), (rid, channel)))
    _POOLS[(audience, channel)] = (oncall.primary, oncall.backup, oncall.supervisor, responders, seats)
    return seats


def _reachable(everyone: tuple[str, ...], responders: dict[str, Responder]) -> list[tuple[str, Seats]]:
    """Everyone on call with a record, each with their channels' load keys and capacities."""
    if _REACHABLE and _REACHABLE[0][0] is everyone and _REACHABLE[0][1] is responders:
        return _REACHABLE[0][2]
    found: list[tuple[str, Seats]] = []
    for rid in everyone:
        r = responders.get(rid)
        if r is not None:
            found.append((rid, tuple(((rid, ch), r.capacity_for(ch)) for ch in r.channels)))
    _REACHABLE[:] = [(everyone, responders, found)]
    return found
