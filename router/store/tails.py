"""A contact record's timeline and messages, appended rather than rewritten.

Every transition writes its contact's record. Kept whole (`2|<sealed>|<facts>`), that rewrote the
timeline and the conversation every time: a message appended to a 1,000-message chat dumped,
sealed, base64-encoded and sent all 1,000 again (1.6 ms of CPU; 3.9 ms at 2,000). The record
(`3|`, records.py) ends in a tail of batches instead, each only what one write added:

    3|<sealed personal fields, with the messages of the last whole write>|<facts but timeline>
    (RS <entries> | US <sealed>)*

The timeline lives in the tail alone; the messages in the head's sealed part as the last whole
write left them, then in the tail's US batches as they came. A record written whole (intake, a
change of the address or notes, compaction) is thus what the release before wrote but for the
timeline's place, and costs what it did: one token to seal or open, reused while unchanged.

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
# Records shorter than this (characters; a contact taken in is ~1,200, each timeline entry ~100)
# are written whole and their tails not held: appending costs more than it saves on them (the
# stored record read and spliced inside the script, the tail staged and held: an escalation
# burst's p99 went from 0.41-0.44 to 0.51-0.53 s with every record appended to).
APPEND_FROM = 4_000
MESSAGES: TypeAdapter[list[Message]] = TypeAdapter(list[Message])


class Tail(NamedTuple):
    """The stored record at `rev`, as far as appending to it goes: its tail's text, its lists
    (the whole timeline and conversation), the messages in its tail, and its head's sealed
    token with the personal fields but messages it seals (the very objects, see `same`)."""

    rev: int
    timeline: list[TimelineEntry]
    messages: list[Message]
    said: list[Message]
    text: str
    sealed: int  # US batches in `text`
    token: str
    values: tuple[object, ...]


class Staged(NamedTuple):
    """A write's tail, held once the write is known to have landed (`Tails.wrote`). `key` is
    the object the write was made of (its Transition's contact), by identity."""

    key: object
    contact_id: str
    tail: Tail


def cut(raw: str) -> int:
    """Where the head of a `3|` record ends (its length when it has no tail): the first mark,
    found by `str.find` (memchr) of each within the head, not a regular expression."""
    entries = raw.find(ENTRIES)
    said = raw.find(SAID, 0, len(raw) if entries < 0 else entries)
    if said >= 0:
        return said
    return len(raw) if entries < 0 else entries


def _entries(new: list[TimelineEntry]) -> str:
    return ENTRIES + fastjson.entries(new) if new else ""


def _said(new: list[Message], sealer: Sealer) -> str:
    return SAID + sealer.seal(MESSAGES.dump_json(new).decode()) if new else ""


def same(held: tuple[object, ...], values: tuple[object, ...]) -> bool:
    """The same objects, one by one (a record is never changed in place: a change is a new
    record sharing what it did not change)."""
    for a, b in zip(held, values, strict=True):  # noqa: SIM110 - no generator frame per write
        if a is not b:
            return False
    return True


def _extends(longer: list[Any], held: list[Any]) -> bool:
    # List equality tries identity first, element by element, in C: a record's lists share
    # every element with the record they were made from ([*old, new]).
    return len(longer) >= len(held) and longer[: len(held)] == held


def parse(rest: str, sealer: Sealer) -> tuple[list[TimelineEntry], list[Message]]:
    """The timeline entries and messages of tail batches, in the order they were appended."""
    entries, said = inner(rest, sealer)
    timeline = fastjson.TIMELINE.validate_json(f"[{entries}]") if entries else []
    messages = MESSAGES.validate_json(f"[{said}]") if said else []
    return timeline, messages


def inner(rest: str, sealer: Sealer) -> tuple[str, str]:
    """The members of the JSON arrays of timeline entries and of messages that tail batches
    hold, each joined in the order appended ("" for none): what goes between `[` and `]`."""
    entries: list[str] = []
    said: list[str] = []
    for mark, body in _batches(rest):
        members = (body if mark == ENTRIES else sealer.open(body))[1:-1]
        if members:
            (entries if mark == ENTRIES else said).append(members)
    return ",".join(entries), ",".join(said)


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
        self._held: Bounded[Tail] = Bounded(cap, size)
        self._staged: dict[int, Staged] = {}  # id(contact written) -> its tail, until its outcome

    def write(
        self, contact: Contact, expect_rev: int | None, key: object, values: tuple[object, ...]
    ) -> tuple[str, str] | None:
        """The head's token and the batches to append to the stored record at `expect_rev`, or
        None when the record must be written whole: a revision not held, lists that do not
        extend the held ones, a personal field (`values`) changed, or messages to add to a tail
        of COMPACT_AT sealed batches. Stages the tail the write leaves under `key` (`wrote`)."""
        held = self._held.get(contact.id) if expect_rev is not None else None
        timeline, messages = contact.timeline, contact.messages
        if (
            held is None
            or held.rev != expect_rev
            or not same(held.values, values)
            or not _extends(timeline, held.timeline)
            or not _extends(messages, held.messages)
        ):
            return None
        new = messages[len(held.messages) :]
        if new and held.sealed >= COMPACT_AT:
            return None
        added = _entries(timeline[len(held.timeline) :]) + _said(new, self.sealer)
        said = [*held.said, *new] if new else held.said
        tail = Tail(
            0,
            timeline,
            messages,
            said,
            held.text + added,
            held.sealed + (1 if new else 0),
            held.token,
            values,
        )
        self._stage(key, contact.id, tail)
        return held.token, added

    def whole(self, contact: Contact, key: object, token: str, values: tuple[object, ...], head: int) -> str:
        """The tail of `contact`'s record written whole under the head `token` (which seals its
        messages; `head` characters with the facts): its timeline, one batch. Staged like
        `write`'s when the record is long enough to append to (`APPEND_FROM`)."""
        text = _entries(contact.timeline)
        if head + len(text) >= APPEND_FROM:
            self._stage(
                key, contact.id, Tail(0, contact.timeline, contact.messages, [], text, 0, token, values)
            )
        else:
            self._held.pop(contact.id)  # whole from now on: what was held is no longer the record
        return text

    def wrote(self, key: object, rev: int | None) -> None:
        """The write staged under `key` landed at `rev` (None: it did not): its tail is the one
        stored."""
        staged = self._staged.pop(id(key), None)
        if rev is not None and staged is not None and staged.key is key:
            self.hold(staged.contact_id, Tail(rev, *staged.tail[1:]))

    def prefix(self, contact_id: str, text: str) -> Tail | None:
        """The tail held of this contact when it is a prefix of the stored `text`."""
        held = self._held.get(contact_id)
        return held if held is not None and text.startswith(held.text) else None

    def extend(
        self, held: Tail, head: Contact, text: str, token: str, values: tuple[object, ...]
    ) -> tuple[list[TimelineEntry], list[Message]]:
        """The lists of the stored record whose head is `head` (its messages those of the last
        whole write) and whose tail `text` extends `held` (`prefix`): only what follows it is
        parsed."""
        entries, new = parse(text[len(held.text) :], self.sealer)
        timeline = [*held.timeline, *entries] if entries else held.timeline
        said = [*held.said, *new] if new else held.said
        messages = [*head.messages, *said] if said else head.messages
        self.hold(head.id, Tail(head.rev, timeline, messages, said, text, text.count(SAID), token, values))
        return timeline, messages

    def held_as(
        self, contact: Contact, said: list[Message], raw: str, at: int, token: str, values: tuple[object, ...]
    ) -> None:
        """The stored record `raw`, its tail from `at`, is `contact`'s (parsed whole with it),
        `said` the tail's messages: held when the record is long enough to append to."""
        if len(raw) >= APPEND_FROM:
            text = raw[at:]
            tail = Tail(
                contact.rev, contact.timeline, contact.messages, said, text, text.count(SAID), token, values
            )
            self.hold(contact.id, tail)

    def hold(self, contact_id: str, tail: Tail) -> None:
        self._held.put(contact_id, tail, len(tail.text))

    def forget(self, contact_id: str) -> None:
        self._held.pop(contact_id)

    def _stage(self, key: object, contact_id: str, tail: Tail) -> None:
        self._staged[id(key)] = Staged(key, contact_id, tail)
        while len(self._staged) > self._cap:  # writes that never reported (a lost connection)
            del self._staged[next(iter(self._staged))]
