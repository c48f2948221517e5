"""A contact with its offers as this process last wrote or read them: the first guess of a change
(router/changing.py), which writes under that revision and reads only when the revision moved.

Every offer is written with its contact's revision (transition.lua), so a contact at revision r
and the offers written up to r are the stored state for as long as the revision is r. An entry
is therefore carried forward only by a write made over the very revision it holds; a write over
any other revision (another instance changed the contact meanwhile) drops it.

With each entry go the timers this process armed for it (in its writes, or alone) and has not
disarmed or completed since: the timer loop's guess of what falls due (router/timers.py). An
escalation or breach due alone among them — or an offer's timeout, when such are all that is
due — is fired by a write guarded on the timer still being due and unclaimed
(`Transition.expect_due`); the claim sent in the same round trip finds what
the guess did not (a timer armed elsewhere, a contact with several due, a guess refused). A read
showing a revision other than the one held drops them: another instance wrote, and may have
armed timers not seen here.
"""

from __future__ import annotations

import heapq
import operator
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from router.clock import to_ms
from router.models import Contact, Offer
from router.store.shapes import ContactView, Transition
from router.timer_models import Timer, TimerKind
from router.trusted_records import rebuilt

# Contacts remembered (the most recently touched): a hotline's open contacts and then some.
KEEP = 2000
# The timers a guess may fire: a contact's step on the ladder, decided on the contact alone.
# (Every kind is held: one of another kind due beside it is fired first, by the claim.)
GUESSED = frozenset({TimerKind.escalate, TimerKind.breach})
# An offer's timeout is guessed (its release decided on the contact and offer as held) only when
# such timeouts are all that falls due here: a guess is written in the claim's round trip, before
# anything the claim fires, whereas the claim's way fires the ladder's steps first and then the
# rest in due order. Guessing it beside anything else would change that order.
GUESSED_ALONE = frozenset({TimerKind.offer_timeout})
# The due heap is rebuilt from the timers held once it holds this many more entries than twice
# their number (a disarmed timer's entry stays until its time passes or the heap is rebuilt).
COMPACT_AT = 1024

# A timer held here is one tuple, not the record: (due ms, the names it was given, then its
# fields' values in the model's order, lists as tuples). The collector follows one object
# where the record is five (the model, its dict, three lists): at 2,000 contacts taken in a
# second every held entry is replaced each second, and each young collection walks what is
# held (three timers a contact were 15 of the ~38 objects of an entry). Rebuilt only for a guess.
_FIELDS = tuple(Timer.model_fields)
_AT = {name: 2 + i for i, name in enumerate(_FIELDS)}
_KIND, _CONTACT = _AT["kind"], _AT["contact_id"]
_LISTS = tuple(i for i, name in enumerate(_FIELDS) if Timer.model_fields[name].default_factory is list)
_values = operator.itemgetter(*_FIELDS)
Held = tuple[Any, ...]


# Who a step pages and how are the protocol's few lists, copied into every timer: held as one
# shared tuple each (a tuple of its own per timer was four more objects a contact until the
# collector first saw them). Bounded: names never seen in a protocol are held unshared.
_NAMES = tuple(i for i, name in enumerate(_FIELDS) if name in ("notify", "via"))
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}
SHARED_MAX = 4096


def _pack(timer: Timer) -> Held:
    values = list(_values(timer.__dict__))
    for i in _LISTS:
        values[i] = tuple(values[i])
    for i in _NAMES:
        names = values[i]
        if names:
            values[i] = _SHARED.get(names) or (
                _SHARED.setdefault(names, names) if len(_SHARED) < SHARED_MAX else names
            )
    return (to_ms(timer.due), timer.__pydantic_fields_set__, *values)


# The due heap's entries are strings (the collector never follows a string; a tuple of due time
# and id was one more object a timer until a collection first saw it): the due time offset to be
# positive and zero-padded, so that strings order as the times do, then the timer's id.
_EPOCH = 10**15
_DIGITS = 16


def _due_key(ms: int, timer_id: str) -> str:
    return f"{ms + _EPOCH:016d}{timer_id}"


def _unpack(held: Held) -> Timer:
    """The timer `held` was packed from: equal to it, field for field, with the same names given."""
    data = dict(zip(_FIELDS, held[2:], strict=True))
    for i in _LISTS:
        data[_FIELDS[i]] = list(held[2 + i])
    return rebuilt(Timer, data, held[1])


class Known:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._contacts: OrderedDict[str, tuple[Contact, dict[str, Offer]]] = OrderedDict()
        self._offer_of: dict[str, str] = {}  # offer id -> contact id, for the entries kept
        self._timers: dict[str, Held] = {}  # timer id -> timer (packed), of the entries kept
        self._timers_of: dict[str, set[str]] = {}  # contact id -> its timers' ids
        self._due: list[str] = []  # _due_key(due ms, timer id); entries gone are skipped

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
        self._put(written, {**offers, **{o.id: o for o in t.offers}}, t)

    def read(self, view: ContactView) -> None:
        """A contact read with all its offers (never older than what is held)."""
        contact = view.contact
        if contact is None or view.offers is None:
            return
        held = self._contacts.get(contact.id)
        if held is None or held[0].rev <= contact.rev:
            if held is not None and held[0].rev != contact.rev:
                self._drop(contact.id, list(self._timers_of.get(contact.id, ())))
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

    def due(self, now: int, limit: int) -> list[tuple[Timer, Contact]]:
        """Up to `limit` escalations and breaches held here due by `now` (epoch ms), earliest
        first, each the only timer of its contact held here due by then, with its contact as last
        seen here; or, when nothing else held here is due, offer timeouts so. Every due timer met
        is taken off: a guess is made once, and the claim takes what was not guessed."""
        out: list[tuple[Timer, Contact]] = []
        others = False
        by = _due_key(now, "")  # the times alone compare as the strings' first _DIGITS
        while self._due and self._due[0][:_DIGITS] <= by and len(out) < limit:
            key = heapq.heappop(self._due)
            ms, tid = int(key[:_DIGITS]) - _EPOCH, key[_DIGITS:]
            held = self._timers.get(tid)
            if held is None or held[0] != ms or held[_CONTACT] is None:
                continue  # disarmed, forgotten with its contact, or armed again for later
            cid = held[_CONTACT]
            due = [i for i in self._timers_of.get(cid, ()) if self._timers[i][0] <= now]
            self._drop(cid, due)
            if due == [tid] and held[_KIND] in GUESSED | GUESSED_ALONE:
                out.append((_unpack(held), self._contacts[cid][0]))
            else:
                others = True
        if others or any(timer.kind in GUESSED for timer, _ in out):
            out = [(timer, c) for timer, c in out if timer.kind in GUESSED]
        return out

    def armed(self, timers: list[Timer]) -> None:
        """Timers armed outside a write of their contact (held for contacts held here)."""
        for timer in timers:
            if timer.contact_id is not None and timer.contact_id in self._contacts:
                self._hold_timer(timer.contact_id, timer)

    def completed(self, timer_ids: Sequence[str]) -> None:
        for tid in timer_ids:
            held = self._timers.get(tid)
            if held is not None and held[_CONTACT] is not None:
                self._drop(held[_CONTACT], [tid])

    def forget(self, contact_id: str) -> None:
        held = self._contacts.pop(contact_id, None)
        if held is not None:
            for oid in held[1]:
                self._offer_of.pop(oid, None)
        self._drop(contact_id, list(self._timers_of.get(contact_id, ())))

    def _drop(self, contact_id: str, timer_ids: list[str]) -> None:
        ids = self._timers_of.get(contact_id)
        for tid in timer_ids:
            self._timers.pop(tid, None)
            if ids is not None:
                ids.discard(tid)
        if not ids:
            self._timers_of.pop(contact_id, None)

    def _hold_timer(self, contact_id: str, timer: Timer) -> None:
        held = _pack(timer)
        self._timers[timer.id] = held
        self._timers_of.setdefault(contact_id, set()).add(timer.id)
        heapq.heappush(self._due, _due_key(held[0], timer.id))
        if len(self._due) > 2 * len(self._timers) + COMPACT_AT:
            self._due = [_due_key(h[0], tid) for tid, h in self._timers.items()]
            heapq.heapify(self._due)

    def _put(self, contact: Contact, offers: dict[str, Offer], t: Transition | None = None) -> None:
        """Hold `contact` with `offers`; with the write `t` that left it, its timers disarmed and
        armed (a read changes none: a guess on a timer since fired elsewhere is refused)."""
        held = self._contacts.pop(contact.id, None)
        if held is not None:
            for oid in held[1]:
                self._offer_of.pop(oid, None)
        self._contacts[contact.id] = (contact, offers)
        for oid in offers:
            self._offer_of[oid] = contact.id
        if t is not None:
            self._drop(contact.id, t.disarm)
            for timer in t.arm:
                self._hold_timer(contact.id, timer)
        while len(self._contacts) > self._keep:
            self.forget(next(iter(self._contacts)))
