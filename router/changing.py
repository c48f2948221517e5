"""How the engine changes one contact: read it with its offers (one round trip), decide, write
(one script), and read again and decide again when another change got there first.

Where the store keeps what this process last wrote or read of a contact (`store.known_view`,
Redis), the read is skipped: the change is decided on that, written under its revision, and the
contact read in the same round trip; only when the revision had moved (another change, another
instance) is it decided again on that read and written again — two round trips, as before. A
refusal decided on a guess (an error, nothing to do) is never given: it is decided again on a read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from router.dispatching import Prefetched
from router.errors import NotFound, RouterError
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

    async def _apply_on_guess(self, t: Transition, into: list[Prefetched] | None) -> Contact | ContactView:
        raise NotImplementedError

    async def _emit(self, contact: Contact, events: list[Event]) -> None:
        raise NotImplementedError

    async def _offers_of(self, contact: Contact) -> list[Offer]:
        read = self._offers_read.get((contact.id, contact.rev))
        return read if read is not None else await self.store.get_offers(contact.offer_ids)

    async def _read_contact(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView:
        """A contact with its offers in one read; the offers kept for the decision that follows."""
        return self._keep_offers(await self.store.contact_view(contact_id, offer_id))

    def _keep_offers(self, view: ContactView) -> ContactView:
        if view.contact is not None and view.offers is not None:
            if len(self._offers_read) >= OFFERS_READ_KEPT:
                self._offers_read.clear()
            self._offers_read[(view.contact.id, view.contact.rev)] = view.offers
        return view

    async def _as_written(self, contact: Contact) -> Contact:
        """`contact` after this process's own change and the dispatch that followed: as it wrote
        it last, where the store keeps that (no read), else as read (else as it was)."""
        known = self.store.known_view(contact.id)
        if known is not None and known.contact is not None:
            return known.contact
        return await self.store.get_contact(contact.id) or contact

    def _guess(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView | None:
        """The contact as this process last wrote or read it, when the store keeps it."""
        known = self.store.known_view(contact_id, offer_id)
        return None if known is None else self._keep_offers(known)

    async def _offer_in(self, c: Contact, offer_id: str) -> tuple[Offer, list[Offer]]:
        """The offer as read with the contact's others (one read), unless it is not among them."""
        others = await self._offers_of(c)
        found = next((o for o in others if o.id == offer_id), None) or await self.store.get_offer(offer_id)
        if found is None:
            raise NotFound(f"no offer {offer_id}")
        return found, others

    async def _offer(self, offer_id: str, by: str | None) -> tuple[Offer, Contact | None, bool]:
        """The offer (theirs, when `by` is given) and its contact as read with it; whether that
        is a guess (`store.known_view`: decide on it only under its revision)."""
        known = self._guess(offer_id=offer_id)
        if known is not None and known.offer is not None and (by is None or known.offer.responder == by):
            return known.offer, known.contact, True
        view = await self._read_contact(offer_id=offer_id)
        offer = view.offer
        if offer is None or (by is not None and offer.responder != by):
            raise NotFound(f"no offer {offer_id}")
        return offer, view.contact, False

    async def _change(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition]],
        first: Contact | None = None,
        view_into: list[Prefetched] | None = None,
        guessed: bool = False,
    ) -> Contact:
        contact = await self.change_or_stale(contact_id, build, first, view_into, guessed)
        assert contact is not None
        return contact

    async def _change_freeing(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition]],
        first: Contact | None = None,
        guessed: bool = False,
    ) -> tuple[Contact, Prefetched | None]:
        """`_change` for a write that frees someone, with what the caller's `dispatch` reads (read
        with the write, in its round trip)."""
        view: list[Prefetched] = []
        contact = await self._change(contact_id, build, first, view_into=view, guessed=guessed)
        return contact, next(iter(view), None)

    async def change_or_stale(
        self,
        contact_id: str,
        build: Callable[[Contact], Awaitable[Transition | None]],
        first: Contact | None = None,
        view_into: list[Prefetched] | None = None,
        guessed: bool = False,
    ) -> Contact | None:
        """Read (the contact with its offers, one round trip), decide, apply; on a concurrent
        change, read again and decide again. `first`: the contact as the caller just read it
        (`guessed`: as this process last knew it; with no `first`, that is tried before a read).
        `view_into`: the caller dispatches next, and the write frees someone: what that pass
        reads is read with the write, in its round trip, and handed back here.

        None when `build` finds nothing left to do (a stale timer)."""
        if first is None:
            known = self._guess(contact_id)
            first, guessed = (known.contact, True) if known is not None else (None, False)
        for _ in range(MAX_RETRIES):
            contact = first or (await self._read_contact(contact_id)).contact
            on_guess, first, guessed = guessed and first is not None, None, False
            if contact is None:
                raise NotFound(f"no contact {contact_id}")
            try:
                t = await build(contact)
            except RouterError:
                if on_guess:
                    continue  # refused on a guess: read, and decide again, before saying no
                raise
            if t is None:
                if on_guess:
                    continue
                return None
            if on_guess:
                got = await self._apply_on_guess(t, view_into)
                if isinstance(got, ContactView):
                    # The revision had moved: decide again on the contact as read with the write.
                    first = self._keep_offers(got).contact
                    if first is None:
                        raise NotFound(f"no contact {contact_id}")
                    continue
                written = got
            else:
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
