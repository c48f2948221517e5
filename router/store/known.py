"""A contact with its offers as this process last wrote or read them: the first guess of a change
(router/changing.py), which writes under that revision and reads only when the revision moved.

Every offer is written with its contact's revision (transition.lua), so a contact at revision r
and the offers written up to r are the stored state for as long as the revision is r. An entry
is therefore carried forward only by a write made over the very revision it holds; a write over
any other revision (another instance changed the contact meanwhile) drops it.
"""

from __future__ import annotations

from collections import OrderedDict

from router.models import Contact, Offer
from router.store.shapes import ContactView, Transition

# Contacts remembered (the most recently touched): a hotline's open contacts and then some.
KEEP = 2000


class Known:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._contacts: OrderedDict[str, tuple[Contact, dict[str, Offer]]] = OrderedDict()
        self._offer_of: dict[str, str] = {}  # offer id -> contact id, for the entries kept

    def wrote(self, t: Transition, written: Contact) -> None:
        """`t` was applied and left `written`."""
        held = self._contacts.get(written.id)
        if t.expect_rev is None:
            offers: dict[str, Offer] = {}
        elif held is not None and held[0].rev == t.expect_rev:
            offers = held[1]
        else:
            self.forget(written.id)  # written over a revision not held here: its offers unknown
            return
        self._put(written, {**offers, **{o.id: o for o in t.offers}})

    def read(self, view: ContactView) -> None:
        """A contact read with all its offers (never older than what is held)."""
        contact = view.contact
        if contact is None or view.offers is None:
            return
        held = self._contacts.get(contact.id)
        if held is None or held[0].rev <= contact.rev:
            self._put(contact, {o.id: o for o in view.offers})

    def view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView | None:
        """The contact (by id, or the one `offer_id` names, with that offer) as last seen here."""
        cid = self._offer_of.get(offer_id) if offer_id is not None else contact_id
        held = self._contacts.get(cid) if cid is not None else None
        if held is None:
            return None
        contact, offers = held
        named = [offers[o] for o in contact.offer_ids if o in offers]
        if len(named) != len(contact.offer_ids):
            return None  # an offer the record names was never seen here
        return ContactView(contact, named, offers.get(offer_id) if offer_id is not None else None)

    def forget(self, contact_id: str) -> None:
        held = self._contacts.pop(contact_id, None)
        if held is not None:
            for oid in held[1]:
                self._offer_of.pop(oid, None)

    def _put(self, contact: Contact, offers: dict[str, Offer]) -> None:
        self.forget(contact.id)
        self._contacts[contact.id] = (contact, offers)
        for oid in offers:
            self._offer_of[oid] = contact.id
        while len(self._contacts) > self._keep:
            self.forget(next(iter(self._contacts)))
