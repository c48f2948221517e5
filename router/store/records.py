"""How a contact record is kept in Redis: its facts in the clear, its personal data sealed once,
its timeline and messages appended.

Sealing the whole record on every transition cost a decrypt and re-encrypt (about a third of an
escalation's Python CPU) for transitions that never touch the person's address or words; and
rewriting the timeline and the conversation grew each write with the contact. The record is:

    3|<sealed token of the personal fields, with the messages as the last whole write left
    them (sealing.py)>|<JSON of the facts but the timeline>, then the tail: batches of
    timeline entries and of the messages sealed since (tails.py)

The facts (status, times, flags, offers) and the timeline are what the stream and the ledger
already hold in the clear; their JSON is written by fastjson.py. The personal part (address,
messages, notes, subject, the channel's handle, closing's free text) is sealed when it changes
and its token is reused while it does not: while its values are the very objects last sealed or
read, it is not even dumped; a message appended goes in a batch of its own and leaves the token
alone. Records of earlier releases (`2|<sealed with messages>|<facts with
timeline>`, or one Fernet token of the whole record) still open, and their next write writes
them whole in this form.
"""

from __future__ import annotations

from router.models import Contact
from router.store import fastjson
from router.store.bounded import Bounded
from router.store.sealing import Sealer
from router.store.tails import MESSAGES as _MESSAGES
from router.store.tails import Tails, cut, inner, same
from router.trusted_records import evolve, new_record, set_dict, set_extra, set_fields_set, set_private

# Every field that can hold what a person said or where they can be reached.
PERSONAL: set[str] = {"sender", "ref", "subject", "notes", "outcome", "messages"}
_PERSONAL_ORDER = tuple(sorted(PERSONAL))
# The personal fields an append leaves in the head's token unchanged (the messages it adds go in
# the tail, tails.py).
_SEALED_ORDER = tuple(sorted(PERSONAL - {"messages"}))
_NOT_FACTS = (*_PERSONAL_ORDER, "timeline")
PREFIX = "3|"
EARLIER = "2|"  # the release before: the whole record, the personal part sealed with messages
# Contacts whose personal part this process last sealed or opened (a burst touches thousands).
CACHE = 10_000
# Contacts kept decoded, each with the stored text it came from (the newest read per contact):
# a record read again unchanged — the queue's first page, read by every dispatch pass that finds
# someone free; a contact claimed again — is parsed once. A record is never changed in place
# (every change builds a new one, router/trusted_records.py), so one object serves every reader.
DECODED = 2_000
# Contacts whose stored tail (timeline and messages, tails.py) is held for appending: a busy
# hotline's open contacts (~700 at its peak) and then some. A write to one not held is whole.
TAILS = 2_000
# The text those two caches keep, each: a busy hotline's 2,000 contacts at ~10 KB a record are
# ~20 MB; a few flooded conversations (1.4 MB each at the cap) push older entries out instead of
# adding gigabytes (bounded.py).
TEXT_HELD = 64_000_000


def with_rev(contact: Contact, rev: int, seq: int | None = None) -> Contact:
    """The contact at revision `rev` (and with the sequence number the store gave it, when it
    did): `model_copy(update={"rev": rev})` without pydantic's generic copy machinery (every
    transition's written record is one; a trusted record, not validated). `evolve` with its
    changes spelt out: through `evolve` it cost 0.5% more instructions a simulated contact."""
    values = contact.__dict__.copy()
    values["rev"] = rev
    if seq is not None:
        values["seq"] = seq
    extra = contact.__pydantic_extra__
    new = new_record(Contact)
    set_dict(new, values)
    set_extra(new, None if extra is None else dict(extra))
    given = contact.__pydantic_fields_set__
    # Shared when it already names rev (nothing sets a field of a record in place; see evolve).
    set_fields_set(new, given if "rev" in given else given | {"rev"})
    set_private(new, contact.__pydantic_private__)
    return new


class ContactCodec:
    """Encodes and decodes contact records, sealing or opening the personal part only when it
    is not the one this process last saw for that contact, and appending to the timeline and
    messages of a record whose tail it holds (tails.py)."""

    def __init__(self, sealer: Sealer, cache: int = CACHE) -> None:
        self.sealer = sealer
        self._cap = cache
        # contact id -> (sealed token, the JSON it seals, the field values that JSON was made
        # of); every entry is a true triple, so a stale one (a write that lost its race) only
        # costs a miss, never a wrong record.
        self._known: dict[str, tuple[str, str, tuple[object, ...]]] = {}
        # contact id -> (stored text, contact)
        self._decoded: Bounded[tuple[str, Contact]] = Bounded(DECODED, TEXT_HELD)
        self.tails = Tails(sealer, TAILS, TEXT_HELD)

    def encode(self, contact: Contact, key: object = None) -> str:
        """The record written whole (its tail staged under `key`, see `wrote`)."""
        token = self._token(contact)
        head = f"{PREFIX}{token}|{fastjson.facts(contact, _NOT_FACTS)}"
        key = key if key is not None else contact
        return head + self.tails.whole(contact, key, token, _head_values(contact), len(head))

    def encode_over(self, contact: Contact, expect_rev: int | None, key: object) -> tuple[str, str | None]:
        """What a write over the stored revision `expect_rev` sends: the new head and the
        batches to append to the stored tail, or the record whole and None. What the write
        leaves is held once `wrote(key, rev)` says it landed."""
        appended = self.tails.write(contact, expect_rev, key, _head_values(contact))
        if appended is None:
            return self.encode(contact, key), None
        token, added = appended
        return f"{PREFIX}{token}|{fastjson.facts(contact, _NOT_FACTS)}", added

    def wrote(self, key: object, rev: int | None) -> None:
        """The write encoded under `key` (the object it was made of) landed at `rev` (None: it
        was refused)."""
        self.tails.wrote(key, rev)

    def _token(self, contact: Contact) -> str:
        """The sealed token of the personal fields, messages included, as a whole write keeps
        them."""
        known = self._known.get(contact.id)
        values = _personal_values(contact)
        if known is not None and same(known[2], values):
            # The very objects the sealed JSON was made of (a record is never changed in place:
            # every change is a new one sharing what it did not change), so the same JSON: an
            # offer, an escalation or an accept neither dumps nor seals the personal part.
            return known[0]
        personal = contact.model_dump_json(include=PERSONAL)
        token = known[0] if known is not None and known[1] == personal else self.sealer.seal(personal)
        self._remember(contact.id, token, personal, values)
        return token

    def decode(self, contact_id: str, raw: str) -> Contact:
        held = self._decoded.get(contact_id)
        if held is not None and held[0] == raw:
            return held[1]
        if raw.startswith(PREFIX):
            contact = self._decode(contact_id, raw)
        elif raw.startswith(EARLIER):
            token, facts = raw[len(EARLIER) :].split("|", 1)
            contact = Contact.model_validate_json(_merge(facts, self.sealer.open(token)))
        else:
            return Contact.model_validate_json(self.sealer.open(raw))
        self._decoded.put(contact_id, (raw, contact), len(raw))
        return contact

    def _decode(self, contact_id: str, raw: str) -> Contact:
        at = cut(raw)
        token, facts = raw[len(PREFIX) : at].split("|", 1)
        known = self._known.get(contact_id)
        personal = known[1] if known is not None and known[0] == token else self.sealer.open(token)
        text = raw[at:]
        # A prefix of the tail held (this process's own last write, another's append after it):
        # only the rest is parsed. Else the tail's timeline goes into the one JSON validated.
        held = self.tails.prefix(contact_id, text)
        if held is not None:
            head = Contact.model_validate_json(_merge(facts, personal))
            timeline, messages = self.tails.extend(held, head, text, token, _head_values(head))
            contact = (
                evolve(head, {"timeline": timeline, "messages": messages}) if timeline or messages else head
            )
        else:
            entries, said = inner(text, self.sealer)
            head = Contact.model_validate_json(_merge(_with(facts, "timeline", entries), personal))
            more = _MESSAGES.validate_json(f"[{said}]") if said else []
            contact = evolve(head, {"messages": [*head.messages, *more]}) if more else head
            self.tails.held_as(contact, more, raw, at, token, _head_values(contact))
        # Remembered with the values just parsed (the head's: its messages those it seals): the
        # transition that follows a read changes a copy of this record, sharing them.
        self._remember(contact_id, token, personal, _personal_values(head))
        return contact

    def forget(self, contact_id: str) -> None:
        self._known.pop(contact_id, None)
        self._decoded.pop(contact_id)
        self.tails.forget(contact_id)

    def _remember(self, contact_id: str, token: str, personal: str, values: tuple[object, ...]) -> None:
        self._known.pop(contact_id, None)
        self._known[contact_id] = (token, personal, values)
        if len(self._known) > self._cap:
            del self._known[next(iter(self._known))]  # the least recently sealed or opened


def _personal_values(contact: Contact) -> tuple[object, ...]:
    fields = contact.__dict__
    return tuple([fields[name] for name in _PERSONAL_ORDER])


def _head_values(contact: Contact) -> tuple[object, ...]:
    """The personal fields but messages: an append keeps the head's token while these are the
    very objects it sealed."""
    fields = contact.__dict__
    return tuple([fields[name] for name in _SEALED_ORDER])


def _with(members: str, name: str, items: str) -> str:
    """A JSON object of model_dump_json's with the array `name` of `items` added ("" for none:
    left out, as its default)."""
    if not items:
        return members
    if members == "{}":
        return f'{{"{name}":[{items}]}}'
    return f'{members[:-1]},"{name}":[{items}]}}'


def _merge(facts: str, personal: str) -> str:
    """Two JSON objects' members as one object (both come from model_dump_json)."""
    if personal == "{}":
        return facts
    if facts == "{}":
        return personal
    return f"{facts[:-1]},{personal[1:]}"
