"""The contact record's codec (router/store/records.py): a record read again unchanged is the one
already decoded, a changed one is decoded afresh, and forgetting a contact leaves nothing of it
(its personal part included) in the process; and how a transition hands its records to Redis."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from router.models import ContactStatus, Event
from router.store import RedisStore, Transition, redis_transition
from router.store.records import ContactCodec
from router.store.sealing import Sealer
from router.trusted_records import evolve
from tests.conftest import START
from tests.contract.test_store_contract import contact, timer


def test_a_record_read_again_unchanged_is_decoded_once_and_forgotten_with_its_contact() -> None:
    codec = ContactCodec(Sealer(["a-key-for-this-test"]))
    c = contact("a")
    raw = codec.encode(c)
    first = codec.decode("a", raw)
    assert first == c and codec.decode("a", raw) is first
    changed = c.model_copy(update={"rev": 2, "notes": "called back"})
    second = codec.decode("a", codec.encode(changed))
    assert second is not first and (second.rev, second.notes) == (2, "called back")
    older = codec.decode("a", raw)  # an older text is decoded, never taken for the newer one
    assert older.rev == c.rev and older.notes is None
    codec.forget("a")
    assert "a" not in codec._decoded and "a" not in codec._known  # no personal part kept
    assert codec.decode("a", raw) == c  # and it still opens from the store's text


class CountingSealer(Sealer):
    """The real sealer, counting what it seals."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__(secrets)
        self.sealed = 0

    def seal(self, plain: str) -> str:
        self.sealed += 1
        return super().seal(plain)


def _token(raw: str) -> str:
    return raw.split("|")[1]


def test_the_personal_part_is_sealed_again_only_when_it_changed() -> None:
    sealer = CountingSealer(["a-key-for-this-test"])
    codec = ContactCodec(sealer)
    c = contact("a", notes="first call")
    raw = codec.encode(c)
    assert sealer.sealed == 1
    # A transition that leaves the personal part alone (the record's copy shares its values):
    # the token written before, nothing sealed.
    offered = evolve(c, {"rev": 2, "status": ContactStatus.offered})
    assert _token(codec.encode(offered)) == _token(raw) and sealer.sealed == 1
    # Each personal field changed, as a new value: sealed anew, and it opens to the new value.
    # (Messages are sealed in the record's tail, batch by batch: test_record_tails.py.)
    changes: dict[str, Any] = {
        "notes": "second call",
        "sender": "+15550002222",
        "subject": "help",
        "ref": "thread-2",
        "outcome": {"summary": "safe"},
    }
    current, sealed = offered, 1
    for name, value in changes.items():
        current = evolve(current, {name: value})
        written = codec.encode(current)
        sealed += 1
        assert sealer.sealed == sealed, name
        assert _token(written) != _token(raw)
        assert getattr(ContactCodec(sealer).decode("a", written), name) == value, name
    # Equal values that are other objects (a record read back): dumped and compared, not sealed.
    again = evolve(current, {"notes": "".join(["second ", "call"]), "outcome": {"summary": "safe"}})
    assert _token(codec.encode(again)) == _token(written) and sealer.sealed == sealed
    # A record read back is remembered with its own values: its next change seals nothing.
    fresh = ContactCodec(sealer)
    read = fresh.decode("a", written)
    assert _token(fresh.encode(evolve(read, {"rev": 9}))) == _token(written) and sealer.sealed == sealed


async def test_a_transitions_records_travel_as_arguments_of_their_own_and_are_stored_as_sent(
    redis_client: aioredis.Redis,
) -> None:
    # transition.lua gets the contact's, each timer's and each event's JSON as ARGV entries the
    # payload names by index (nothing escaped inside the payload), and stores them unchanged.
    store = RedisStore(redis_client, "argv", Sealer(["a-key-for-this-test"]))
    c = contact("a")
    event = Event(at=START, event="received", contact_id="a")
    t = Transition(contact=c, expect_rev=None, arm=[timer("t1", 60)], events=[event])
    argv = redis_transition.args(t, store.codec, store.k.wake)
    payload = json.loads(argv[0])
    assert "contact" not in payload and argv[1] == store.k.wake
    assert [payload["arm"][0]["json"], *payload["events"]] == [4, 5]  # Lua's ARGV counts from 1
    assert json.loads(argv[3])["id"] == "t1" and json.loads(argv[4])["event"] == "received"
    assert not any(record in argv[0] for record in argv[2:])
    await store.apply(t)
    k = store.k
    assert await redis_client.hget(k.contacts, "a") == argv[2]
    assert await redis_client.hget(k.timer_data, "t1") == argv[3]
    stream: Any = await redis_client.xrange(k.events)
    assert stream[0][1]["e"] == argv[4]
