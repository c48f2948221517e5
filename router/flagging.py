"""Flags raised during a contact (a responder's judgement, the caller's danger key): recorded on
the timeline, priority raised in place in the queue, imminent danger made parallel and paged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from protocols import Priority, Protocol
from protocols.base import most_urgent
from router import ladder
from router import transitions as tr
from router.dispatcher import choose_all
from router.engine import Engine
from router.errors import Invalid, InvalidState
from router.models import Contact, ContactStatus
from router.owed_pages import danger as danger_source
from router.owed_pages import owed, owed_id
from router.store import Conflict, Transition

log = structlog.get_logger("router")
MAX_FLAGS = 16
MAX_FLAG_LEN = 64


def check_flags(p: Protocol, add: Sequence[str]) -> list[str]:
    """The flags, validated against the protocol's own list (422 naming the field otherwise)."""
    if not add:
        raise Invalid("add", "name at least one flag")
    if len(add) > MAX_FLAGS:
        raise Invalid("add", f"at most {MAX_FLAGS} flags at once")
    for i, flag in enumerate(add):
        if len(flag) > MAX_FLAG_LEN or flag not in p.flags:
            raise Invalid(
                f"add.{i}", f"not a flag of this protocol; known flags: {', '.join(sorted(p.flags))}"
            )
    return list(dict.fromkeys(add))


def raise_flags(
    p: Protocol, contact: Contact, add: Sequence[str], priority: Priority | None, now: datetime, by: str
) -> Transition:
    """Pure: the contact with the new flags and (never lowered) priority. A waiting contact moves
    to its new place by a new queue score with the same arrival seq; its deadline is unchanged."""
    if not contact.is_open:
        raise InvalidState(f"contact {contact.id} is {contact.status.value}: it can no longer be flagged")
    new = [f for f in add if f not in contact.flags]
    level = contact.priority
    for flag in new:
        spec = p.flags.get(flag)
        if spec is not None and spec.priority is not None:
            level = most_urgent(level, spec.priority)
    if priority is not None:
        level = most_urgent(level, priority)
    danger = bool(set(p.imminent_danger.flags) & set(new)) and contact.is_unanswered
    if danger:
        level = Priority.critical
    update: dict[str, object] = {"flags": [*contact.flags, *new], "priority": level}
    t = Transition(contact=contact, expect_rev=contact.rev)
    if danger:
        update["parallel"] = True
        update["audience"] = ladder.widen(contact.audience, list(p.imminent_danger.offer_to))
        if p.imminent_danger.skip_ladder:
            t.disarm += [f"esc:{contact.id}:{i}" for i in range(p.longest_ladder)]
        if p.imminent_danger.page and not contact.parallel:
            d = p.imminent_danger
            t.arm.append(owed(danger_source(contact.id), contact.id, "imminent_danger", d.page, d.via, now))
    c = contact.model_copy(update=update)
    c, ev = tr.record(
        c, now, "flags_added", flags=new, by=by, priority=level.value, from_priority=contact.priority.value
    )
    t.contact = c
    t.events.append(ev)
    if contact.status == ContactStatus.queued and level != contact.priority:
        t.dequeue = True
        t.enqueue_score = tr.queue_score(c)
    return t


async def add_flags(
    engine: Engine, contact_id: str, add: Sequence[str], priority: Priority | None, by: str
) -> Contact:
    """Record flags on a contact and act on them at once (imminent danger: everyone, page now)."""
    p = engine.protocol
    flags = check_flags(p, add) if add or priority is None else []
    before = await engine.get_contact(contact_id)

    async def build(c: Contact) -> Transition:
        return raise_flags(p, c, flags, priority, engine.clock.now(), by)

    contact = await engine.change_or_stale(contact_id, build)
    assert contact is not None
    log.info("flags_added", contact_id=contact.id, flags=flags, priority=contact.priority.value, by=by)
    if contact.parallel and not before.parallel:
        danger = p.imminent_danger
        pages = owed_id(danger_source(contact.id))
        await engine.page(contact, list(danger.page), list(danger.via), "imminent_danger", owed=pages)
        if contact.status == ContactStatus.offered:
            await _offer_the_rest(engine, contact.id)
    await engine.dispatch()
    return await engine.get_contact(contact_id)


async def _offer_the_rest(engine: Engine, contact_id: str) -> None:
    """A contact already offered to one responder becomes parallel: everyone else eligible is
    offered it too, without withdrawing the offer already out."""
    for _ in range(5):
        contact = await engine.get_contact(contact_id)
        if contact.status != ContactStatus.offered:
            return
        offers = [o for o in [await engine.store.get_offer(oid) for oid in contact.offer_ids] if o]
        holding = {o.responder for o in offers}
        snap = await engine.snapshot_now()
        chosen = [r for r in choose_all(contact, snap, engine.protocol.offer_timeout) if r.id not in holding]
        if not chosen:
            return
        oids = [engine.id_factory("o") for _ in chosen]
        t = tr.offer(contact, chosen, oids, engine.clock.now(), engine.protocol.offer_timeout)
        t.dequeue = False
        try:
            written = await engine.store.apply(t)
        except Conflict:
            continue
        await engine._emit(written, t.events)
        for responder, o in zip(chosen, t.offers, strict=True):
            await engine._safely("offer", engine.notifier.offer(responder, o, written))
        return
