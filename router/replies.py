"""What the person is told first, and while they wait: the protocol's danger, after-hours and
at-capacity texts take the place of the ordinary greeting or auto-reply when they apply."""

from __future__ import annotations

from protocols import Protocol, TextKind
from router.intake import AFTER_HOURS
from router.models import Contact, ContactStatus
from router.store import Store


def situation(p: Protocol, contact: Contact, at_capacity: bool) -> TextKind | None:
    """The text kind the moment calls for, most pressing first; None for the ordinary one."""
    if contact.parallel or set(p.imminent_danger.flags) & set(contact.flags):
        return "danger"
    if AFTER_HOURS in contact.flags:
        return "after_hours"
    if at_capacity:
        return "at_capacity"
    return None


async def is_at_capacity(p: Protocol, store: Store, contact: Contact) -> bool:
    """Nobody could take the contact (it is still waiting in the queue) and at least the
    protocol's `at_capacity_waiting` contacts (this one included; default 1) are waiting."""
    settings = p.channels.get(contact.channel)
    if settings is None or not settings.at_capacity:
        return False
    if contact.status != ContactStatus.queued:
        return False
    return await store.queue_depth() >= (settings.at_capacity_waiting or 1)


async def reply_for(p: Protocol, store: Store, contact: Contact, ordinary: TextKind) -> str | None:
    """The first text for a contact that just arrived (`contact` as it is after dispatch)."""
    kind = situation(p, contact, await is_at_capacity(p, store, contact))
    chosen = p.text(contact.channel, kind, contact.language) if kind else None
    return chosen or p.text(contact.channel, ordinary, contact.language)
