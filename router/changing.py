"""How the engine changes one contact: read it with its offers (one round trip), decide, write
(one script), and read again and decide again when another change got there first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from router.dispatching import Prefetched
from router.errors import NotFound
from router.models import Contact, Event, Offer
from router.store import Conflict, ContactView, Store, Transition

MAX_RETRIES = 50
# Contacts whose offers, as read with them, are kept for the decision that follows.
OFFERS_READ_KEPT = 1000


class Changing:
    """Mixed into the Engine after Dispatching (which applies a write with its view); the Engine
    sets these and emits."""

    store: Store
    # A contact's offers as read with it, by (id, revision): every offer is written with its
    # contact's revision, so what was read with a revision holds for it.
    _offers_read: dict[tuple[str, int], list[Offer]]

    async def _apply_then_view(self, t: Transition, into: list[Prefetched]) -> Contact:
        raise NotImplementedError

    async def _emit(self, contact: Contact, events: list[Event]) -> None:
        raise NotImplementedError

    async def _offers_of(self, contact: Contact) -> list[Offer]:
        read = self._offers_read.get((contact.id, contact.rev))
        return read if read is not None else await self.store.get_offers(contact.offer_ids)

    async def _read_contact(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView:
        """A contact with its offers in one read; the offers kept for the decision that follows."""
        view = await self.store.contact_view(contact_id, offer_id)
        if view.contact is not None and view.offers is not None:
            if len(self._offers_read) >= OFFERS_READ_KEPT:
                self._offers_read.clear()
            self._offers_read[(view.contact.id, view.contact.rev)] = view.offers
        return view

    async def _offer_in(self, c: Contact, offer_id: str) -> tuple[Offer, list[Offer]]:
        """The offer as read with the contact's others (one read), unless it is not among them."""
        others = await self._offers_of(c)
        found = next((o for o in others if o.id == offer_id), None) or await self.store.get_offer(offer_id)
        if found is None:
            raise NotFound(f"no offer {offer_id}")
        return found, others

    async def _offer(self, offer_id: str, by: str | None) -> tuple[Offer, Contact | None]:
        """The offer (theirs, when `by` is given) and its contact as read with it."""
        view = await self._read_contact(offer_id=offer_id)
        offer = view.offer
        if offer is None or (by is not None and offer.responder != by):
            raise NotFound(f"no offer {offer_id}")
        return offer, view.contact

    async def _change(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition]],
        first: Contact | None = None,
        view_into: list[Prefetched] | None = None,
    ) -> Contact:
        contact = await self.change_or_stale(contact_id, build, first, view_into)
        assert contact is not None
        return contact

    async def _change_freeing(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition]],
        first: Contact | None = None,
    ) -> tuple[Contact, Prefetched | None]:
        """`_change` for a write that frees someone, with what the caller's `dispatch` reads (read
        with the write, in its round trip)."""
        view: list[Prefetched] = []
        contact = await self._change(contact_id, build, first, view_into=view)
        return contact, next(iter(view), None)

    async def change_or_stale(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition | None]],
        first: Contact | None = None,
        view_into: list[Prefetched] | None = None,
    ) -> Contact | None:
        """Read (the contact with its offers, one round trip), decide, apply; on a concurrent
        change, read again and decide again. `first`: the contact as the caller just read it.
        `view_into`: the caller dispatches next, and the write frees someone: what that pass
        reads is read with the write, in its round trip, and handed back here.

        None when `build` finds nothing left to do (a stale timer)."""
        for _ in range(MAX_RETRIES):
            contact = first or (await self._read_contact(contact_id)).contact
            first = None
            if contact is None:
                raise NotFound(f"no contact {contact_id}")
            t = await build(contact)
            if t is None:
                return None
            try:
                written = await (
                    self.store.apply(t) if view_into is None else self._apply_then_view(t, view_into)
                )
            except Conflict:
                await asyncio.sleep(0)
                continue
            await self._emit(written, t.events)
            return written
        raise RuntimeError(f"contact {contact_id} kept changing under {MAX_RETRIES} attempts")
