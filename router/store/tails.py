"""A contact record's timeline and messages, appended rather than rewritten.

Every transition writes its contact's record. Kept whole (`2|<sealed>|<facts>`), that rewrote the
timeline and the conversation every time: a message appended to a 1,000-message chat dumped,
sealed, base64-encoded and sent all 1,000 again (1.6 ms of CPU; 3.9 ms at 2,000). The record
(`3|`, records.py) ends in a tail of batches instead, each only what one write added:

    3|<sealed personal fields but messages>|<facts but timeline>(RS <entries> | US <sealed>)*

RS (0x1E) opens a JSON array of timeline entries, US (0x1F) a sealed token of a JSON array of
messages. Neither byte can occur in the head or a batch: JSON escapes control characters inside
strings, and a token is base64's URL-safe alphabet after `v2:`. A write over a revision whose
tail this process holds (it read or wrote that very revision) sends the new head and only the
new batches; transition.lua keeps the stored tail between them. Any other write sends the
record whole, and so does the write that adds messages to a tail already holding COMPACT_AT
sealed batches (a reader holding none of it opens each). A reader that holds a prefix of the
stored tail parses only the rest.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from router.models import Contact, Message, TimelineEntry
from router.store import fastjson
from router.store.bounded import Bounded
from router.store.sealing import Sealer

ENTRIES = "\x1e"
SAID = "\x1f"
# A tail of this many sealed batches is written whole (one batch) at the next write adding
# messages: a reader that holds none of it opens each batch (980 of them took a cold read from
# 4.0 to 5.9 ms), and each costs ~45 bytes of nonce and tag. Rewriting 980 messages once in 32
# adds ~0.03 ms to each.
COMPACT_AT = 32
_SEPARATOR = re.compile("[\x1e\x1f]")
_TIMELINE: TypeAdapter[list[TimelineEntry]] = TypeAdapter(list[TimelineEntry])
_MESSAGES: TypeAdapter[list[Message]] = TypeAdapter(list[Message])


class Tail(NamedTuple):
    """What the stored record at `rev` ends with: its text and the lists it holds."""

    rev: int
    timeline: list[TimelineEntry]
    messages: list[Message]
    text: str
    sealed: int  # batches of messages in `text`


class Staged(NamedTuple):
    """A write's tail, held once the write is known to have landed (`Tails.wrote`). `key` is
    the object the write was made of (its Transition's contact), by identity."""

    key: object
    contact_id: str
    timeline: list[TimelineEntry]
    messages: list[Message]
    text: str
    sealed: int


def _text_size(tail: Tail) -> int:
    return len(tail.text)


def cut(raw: str) -> int:
    """Where the head of a `3|` record ends (its length when it has no tail)."""
    found = _SEPARATOR.search(raw)
    return len(raw) if found is None else found.start()


def _entries(new: list[TimelineEntry]) -> str:
    return ENTRIES + fastjson.entries(new) if new else ""


def _said(new: list[Message], sealer: Sealer) -> str:
    return SAID + sealer.seal(_MESSAGES.dump_json(new).decode()) if new else ""


def _extends(longer: list[Any], held: list[Any]) -> bool:
    # List equality tries identity first, element by element, in C: a record's lists share
    # every element with the record they were made from ([*old, new]).
    return len(longer) >= len(held) and longer[: len(held)] == held


def parse(rest: str, sealer: Sealer) -> tuple[list[TimelineEntry], list[Message]]:
    """The timeline entries and messages of tail batches, in the order they were appended."""
    entries: list[str] = []
    said: list[str] = []
    for mark, body in _batches(rest):
        inner = (body if mark == ENTRIES else sealer.open(body))[1:-1]
        if inner:
            (entries if mark == ENTRIES else said).append(inner)
    timeline = _TIMELINE.validate_json(f"[{','.join(entries)}]") if entries else []
    messages = _MESSAGES.validate_json(f"[{','.join(said)}]") if said else []
    return timeline, messages


def _batches(rest: str) -> list[tuple[str, str]]:
    """Each batch's mark and body. Found by `str.find` of each mark (memchr), not a regular
    expression: a regex split of a 1.4 MB tail took 3 ms."""
    found: list[tuple[str, str]] = []
    entries, said = rest.find(ENTRIES), rest.find(SAID)
    while entries >= 0 or said >= 0:
        if said < 0 or 0 <= entries < said:
            mark, start = ENTRIES, entries
            entries = rest.find(ENTRIES, start + 1)
        else:
            mark, start = SAID, said
            said = rest.find(SAID, start + 1)
        end = min(entries if entries >= 0 else len(rest), said if said >= 0 else len(rest))
        found.append((mark, rest[start + 1 : end]))
    return found


class Tails:
    """The tails this process last read or wrote, one per contact: the most recent `cap`, and
    no more than `size` characters of tail text in all."""

    def __init__(self, sealer: Sealer, cap: int, size: int) -> None:
        self.sealer = sealer
        self._cap = cap
        self._held: Bounded[Tail] = Bounded(cap, size, _text_size)
        self._staged: dict[int, Staged] = {}  # id(contact written) -> its tail, until its outcome

    def write(self, contact: Contact, expect_rev: int | None, key: object) -> str | None:
        """The batches to append to the stored record at `expect_rev`, or None when the record
        must be written whole (`whole` then gives its tail). Stages the tail the write leaves
        under `key` (see `wrote`)."""
        held = self._held.get(contact.id) if expect_rev is not None else None
        timeline, messages = contact.timeline, contact.messages
        if (
            held is None
            or held.rev != expect_rev
            or not _extends(timeline, held.timeline)
            or not _extends(messages, held.messages)
        ):
            return None
        said = messages[len(held.messages) :]
        if said and held.sealed >= COMPACT_AT:
            return None
        added = _entries(timeline[len(held.timeline) :]) + _said(said, self.sealer)
        self._stage(key, contact, held.text + added, held.sealed + (1 if said else 0))
        return added

    def whole(self, contact: Contact, key: object) -> str:
        """The tail of `contact`'s record written whole (staged like `write`'s)."""
        text = _entries(contact.timeline) + _said(contact.messages, self.sealer)
        self._stage(key, contact, text, 1 if contact.messages else 0)
        return text

    def wrote(self, key: object, rev: int | None) -> None:
        """The write staged under `key` landed at `rev` (None: it did not): its tail is the one
        stored."""
        staged = self._staged.pop(id(key), None)
        if rev is not None and staged is not None and staged.key is key:
            self.hold(
                staged.contact_id, Tail(rev, staged.timeline, staged.messages, staged.text, staged.sealed)
            )

    def read(self, contact_id: str, rev: int, text: str) -> tuple[list[TimelineEntry], list[Message]]:
        """The lists of a stored tail, parsing only what follows the tail held of this contact."""
        held = self._held.get(contact_id)
        if held is not None and text.startswith(held.text):
            more = parse(text[len(held.text) :], self.sealer)
            timeline = [*held.timeline, *more[0]] if more[0] else held.timeline
            messages = [*held.messages, *more[1]] if more[1] else held.messages
        else:
            timeline, messages = parse(text, self.sealer)
        self.hold(contact_id, Tail(rev, timeline, messages, text, text.count(SAID)))
        return timeline, messages

    def hold(self, contact_id: str, tail: Tail) -> None:
        self._held.put(contact_id, tail)

    def forget(self, contact_id: str) -> None:
        self._held.pop(contact_id)

    def _stage(self, key: object, contact: Contact, text: str, sealed: int) -> None:
        self._staged[id(key)] = Staged(key, contact.id, contact.timeline, contact.messages, text, sealed)
        while len(self._staged) > self._cap:  # writes that never reported (a lost connection)
            del self._staged[next(iter(self._staged))]
