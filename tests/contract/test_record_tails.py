"""A contact record's timeline and messages are appended, not rewritten (router/store/tails.py):
a write over a revision this process holds sends only what it adds, the stored record keeps
what was there, and every reader (this process, another instance, a record of the release
before) opens the same contact."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from router import transitions as tr
from router.models import Contact, Message
from router.store import Conflict, RedisStore, Transition, redis_transition, tails
from router.store.records import ContactCodec
from router.store.sealing import Sealer
from router.store.tails import COMPACT_AT, ENTRIES, SAID
from router.trusted_records import evolve
from tests.conftest import START
from tests.contract.test_store_contract import contact, intake

KEY = "a-key-for-this-test"


@pytest.fixture(autouse=True)
def append_to_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests' records are short: appended to all the same (one test sets its own bound)."""
    monkeypatch.setattr(tails, "APPEND_FROM", 0)


def _said(c: Contact, n: int) -> Transition:
    return tr.message_in(c, f"said {n} " + "x" * 80, START + timedelta(seconds=n))


async def _stored(client: aioredis.Redis, store: RedisStore, cid: str = "c1") -> str:
    raw = await client.hget(store.k.contacts, cid)
    assert isinstance(raw, str)
    return raw


async def test_a_message_written_over_a_held_record_sends_only_itself(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    sizes = []
    for n in range(1, COMPACT_AT + 1):
        t = _said(c, n)
        argv = redis_transition.args(t, store.codec, store.k.wake)
        payload = json.loads(argv[0])
        assert payload["append"] is not False, n  # held: the record's tail is not sent again
        # ARGV[3] is the head alone; the appended batches: one timeline entry, one sealed message.
        head, added = argv[2], argv[payload["append"] - 1]
        assert ENTRIES not in head and SAID not in head
        assert added.count(ENTRIES) == 1 and added.count(SAID) == 1
        assert "said" not in added  # sealed
        sizes.append(len(head) + len(added))
        store.codec.wrote(t.contact, None)  # this encode is not the one written
        c = await store.apply(t)
    # What a write sends does not grow with the conversation (the head's offer ids and flags
    # aside, nothing here grows it).
    assert max(sizes) - min(sizes) < 8
    raw = await _stored(redis_client, store)
    assert raw.count(SAID) == COMPACT_AT == raw.count(ENTRIES)
    # Another instance opens the whole conversation from the stored text.
    other = await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1")
    assert other == c and [m.body.split()[1] for m in other.messages] == [
        str(n) for n in range(1, COMPACT_AT + 1)
    ]
    assert len(other.timeline) == COMPACT_AT


async def test_a_tail_of_many_sealed_batches_is_written_whole_again(redis_client: aioredis.Redis) -> None:
    # Each batch a reader holding none of the tail must open: at COMPACT_AT of them, the next
    # write adding a message writes the record whole, its messages in one batch.
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    for n in range(1, COMPACT_AT + 1):
        c = await store.apply(_said(c, n))
    assert (await _stored(redis_client, store)).count(SAID) == COMPACT_AT
    t = _said(c, COMPACT_AT + 1)
    assert json.loads(redis_transition.args(t, store.codec, store.k.wake)[0])["append"] is False
    store.codec.wrote(t.contact, None)
    c = await store.apply(t)
    raw = await _stored(redis_client, store)
    assert raw.count(SAID) == 0 and raw.count(ENTRIES) == 1  # the messages in the head's token
    c = await store.apply(_said(c, COMPACT_AT + 2))  # and appends again after it
    assert (await _stored(redis_client, store)).count(SAID) == 1
    got = await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1")
    assert got == c and len(got.messages) == COMPACT_AT + 2


async def test_two_instances_writing_in_turn_keep_every_entry(redis_client: aioredis.Redis) -> None:
    a = RedisStore(redis_client, "t", Sealer([KEY]))
    b = RedisStore(redis_client, "t", Sealer([KEY]))
    await intake(a, contact(), 1)
    n = 0
    for turn in range(12):
        store = a if turn % 3 else b  # a twice, then b: each reads what the other appended
        c = await store.get_contact("c1")
        assert c is not None
        for _ in range(turn % 2 + 1):
            n += 1
            c = await store.apply(_said(c, n))
        assert await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1") == c
    final = await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1")
    assert final is not None
    assert [m.body.split()[1] for m in final.messages] == [str(i) for i in range(1, n + 1)]
    assert [e.event for e in final.timeline] == ["message_received"] * n


async def test_a_write_the_store_refused_is_not_held_as_the_stored_tail(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    # Two changes of the same revision in one process: the first lands, the second is refused.
    first, second = _said(c, 1), _said(_said(c, 2).contact, 3)
    second = Transition(contact=second.contact, expect_rev=c.rev)
    landed = await store.apply(first)
    assert isinstance((await store.apply_many([second]))[0], Conflict)
    # What this process holds as the stored tail is the landed write's, never the refused one's.
    held = store.codec.tails._held["c1"]
    assert (held.rev, held.messages) == (landed.rev, landed.messages)
    c = await store.apply(_said(landed, 4))
    assert [m.body.split()[1] for m in c.messages] == ["1", "4"]
    assert await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1") == c


async def test_a_timeline_or_conversation_not_extended_is_written_whole(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    c = await store.apply(_said(c, 1))
    c = await store.apply(_said(c, 2))
    # A change that drops a message (nothing in the engine does; a store must not append blindly).
    dropped = evolve(c, {"messages": c.messages[1:]})
    t = Transition(contact=dropped, expect_rev=c.rev)
    assert json.loads(redis_transition.args(t, store.codec, store.k.wake)[0])["append"] is False
    store.codec.wrote(t.contact, None)
    written = await store.apply(t)
    got = await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1")
    assert got == written and [m.body.split()[1] for m in got.messages] == ["2"]


async def test_a_record_of_the_release_before_opens_and_is_written_whole_next(
    redis_client: aioredis.Redis,
) -> None:
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    c = await store.apply(_said(c, 1))
    # The record as the release before kept it: the personal part sealed with the messages,
    # the facts with the timeline.
    sealer = Sealer([KEY])
    personal = c.model_dump_json(include={"sender", "ref", "subject", "notes", "outcome", "messages"})
    facts = c.model_dump_json(exclude={"sender", "ref", "subject", "notes", "outcome", "messages"})
    await redis_client.hset(store.k.contacts, "c1", f"2|{sealer.seal(personal)}|{facts}")
    reader = RedisStore(redis_client, "t", Sealer([KEY]))
    old = await reader.get_contact("c1")
    assert old == c
    t = _said(old, 2)
    assert json.loads(redis_transition.args(t, reader.codec, reader.k.wake)[0])["append"] is False
    reader.codec.wrote(t.contact, None)
    c = await reader.apply(t)
    raw = await _stored(redis_client, reader)
    assert raw.startswith("3|") and raw.count(SAID) == 0  # whole: both messages in the head's token
    assert await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1") == c
    assert [m.body.split()[1] for m in c.messages] == ["1", "2"]


def test_a_reader_holding_part_of_a_tail_parses_only_the_rest() -> None:
    sealer = Sealer([KEY])
    writer, reader = ContactCodec(sealer), ContactCodec(sealer)
    c = contact("a")
    stored = writer.encode(c)
    writer.wrote(c, c.rev)
    assert reader.decode("a", stored) == c
    for n in range(1, 4):
        msg = Message(at=START, direction="in", body=f"n{n}")
        new = evolve(c, {"rev": c.rev + 1, "messages": [*c.messages, msg]})
        head, added = writer.encode_over(new, c.rev, new)
        assert added is not None
        stored = head + stored[len(stored.split(ENTRIES)[0].split(SAID)[0]) :] + added
        writer.wrote(new, new.rev)
        c = new
        opened: list[Any] = []
        reader.sealer = _Counting(opened, [KEY])
        reader.tails.sealer = reader.sealer
        assert reader.decode("a", stored) == c
        assert len(opened) == 1  # the one new batch (the head's token is known)


class _Counting(Sealer):
    def __init__(self, opened: list[Any], secrets: list[str]) -> None:
        super().__init__(secrets)
        self.opened = opened

    def open(self, sealed: str) -> str:
        self.opened.append(sealed)
        return super().open(sealed)


async def test_a_tail_that_opens_with_messages_is_found_by_the_scripts(redis_client: aioredis.Redis) -> None:
    # A record whose tail begins with a sealed batch (a message appended with no timeline entry
    # yet): the scripts find where its head ends by either mark, whichever comes first.
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    first = Message(at=START, direction="in", body="said 0 first")
    c = await store.apply(Transition(contact=evolve(c, {"messages": [first]}), expect_rev=c.rev))
    raw = await _stored(redis_client, store)
    assert ENTRIES not in raw and raw.count(SAID) == 1
    c = await store.apply(_said(c, 1))  # appended by the script after the US-first tail
    raw = await _stored(redis_client, store)
    assert raw.count(SAID) == 2 and raw.index(SAID) < raw.index(ENTRIES)
    view = await RedisStore(redis_client, "t", Sealer([KEY])).contact_view("c1")
    assert view.contact == c and view.offers == []
    assert [m.body.split()[1] for m in c.messages] == ["0", "1"]


async def test_a_whole_write_elsewhere_under_a_held_empty_tail_is_read_with_its_messages(
    redis_client: aioredis.Redis,
) -> None:
    # The head's token holds the messages of the last whole write: a reader holding a tail that
    # is still a prefix of the stored one (here: empty) takes them from the head it reads.
    a = RedisStore(redis_client, "t", Sealer([KEY]))
    b = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(a, contact(), 1)
    seen = await b.get_contact("c1")
    assert seen is not None
    m = Message(at=START, direction="in", body="said 1 to b")
    changed = evolve(seen, {"notes": "called back", "messages": [m]})
    t = Transition(contact=changed, expect_rev=seen.rev)
    # A personal field changed: written whole (the head's token seals it, and the messages).
    assert json.loads(redis_transition.args(t, b.codec, b.k.wake)[0])["append"] is False
    b.codec.wrote(t.contact, None)
    written = await b.apply(t)
    assert ENTRIES not in await _stored(redis_client, b)  # no timeline: a head alone
    got = await a.get_contact("c1")
    assert got == written and got.messages == [m] and got.notes == "called back"
    c = await a.apply(_said(got, 2))  # and a appends on what it read
    assert await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1") == c
    assert [x.body.split()[1] for x in c.messages] == ["1", "2"]


async def test_a_short_record_is_written_whole_and_a_long_one_appended_to(
    redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Appending costs more than it saves on a short record (the script reads and splices it,
    # the tail is staged and held): below APPEND_FROM characters a record is written whole.
    monkeypatch.setattr(tails, "APPEND_FROM", 3_000)
    store = RedisStore(redis_client, "t", Sealer([KEY]))
    c = await intake(store, contact(), 1)
    appended = []
    for n in range(1, 25):
        t = _said(c, n)
        appended.append(
            json.loads(redis_transition.args(t, store.codec, store.k.wake)[0])["append"] is not False
        )
        store.codec.wrote(t.contact, None)
        c = await store.apply(t)
    raw = await _stored(redis_client, store)
    assert len(raw) > 3_000 and not appended[0] and appended[-1]
    # Whole until the record reached the bound, appended to from the write after.
    first = appended.index(True)
    assert not any(appended[:first]) and all(appended[first:])
    assert await RedisStore(redis_client, "t", Sealer([KEY])).get_contact("c1") == c
