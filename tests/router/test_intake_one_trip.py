"""Intake in one round trip on Redis (router/receiving.py): a new person's contact is written on
what this instance last saw, guarded, with the read after it in the same trip; when a guess is
wrong — they came before, another instance published a roster, queued someone, or the one
offered went away — nothing is written and the contact is decided again on what that trip read,
exactly as intake that reads first decides it."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from router import intake, receiving
from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactStatus
from router.store import RedisStore
from tests.router import trips
from tests.router.helpers import sms, staff
from tests.router.trips import elsewhere, round_trips

# The daytime clock and Redis only (tests/router/trips.py), as this module's fixtures.
clock = trips.clock
redis_only = trips.redis_only


def missed(engine: Engine, reason: str) -> float:
    return (
        engine.metrics.registry.get_sample_value("safetynet_intake_guesses_missed_total", {"reason": reason})
        or 0.0
    )


def whole_reads_asked(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each intake in one round trip asked its trip to read the dispatch state whole."""
    assert isinstance(engine.store, RedisStore)
    asked: list[bool] = []
    real = engine.store.intake_and_view

    async def spied(t: object, known: object, keys: list[str], state: bool = True) -> object:
        asked.append(state)
        return await real(t, known, keys, state)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.store, "intake_and_view", spied)
    return asked


async def test_a_new_persons_contact_and_its_offer_are_one_round_trip(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 5})
    await engine.intake(sms(sender="+15550000001"))  # reads: nothing held yet
    for i in range(2, 5):
        with round_trips(monkeypatch) as sent:
            c = await engine.intake(sms(sender=f"+1555000000{i}"))
        assert sent[0] == 1, "intake and its offer: one write, the read after it in the same trip"
        stored = await engine.get_contact(c.id)
        assert stored.status == ContactStatus.offered and stored.rev == 1
    seqs = [(await engine.get_contact(f"c_000{i}")).seq for i in range(1, 5)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4 and min(seqs) > 0


async def test_someone_who_came_before_is_decided_again_with_their_arrivals(
    engine: Engine, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await engine.intake(sms(sender="+15550000009"))  # someone else: a dispatch state is held
    seen = []
    for _ in range(3):
        with round_trips(monkeypatch) as sent:
            c = await engine.intake(sms("hello", sender="+15550007777"))
        seen.append((c, sent[0]))
        await engine.abandon(c.id)
        await clock.advance(3600)
    # The first is new; the second and third guessed wrong (an earlier arrival) and were decided
    # again on the arrivals their trip read: the third in a day is a repeat, as it always was.
    assert [c.priority.value for c, _ in seen] == ["normal", "normal", "high"]
    assert "repeat_contact" in seen[2][0].flags
    assert missed(engine, "arrivals") == 2
    assert [n for _, n in seen[1:]] == [2, 2], "a wrong guess costs one more round trip, no more"


async def test_the_hourly_limit_holds_for_a_sender_guessed_new(engine: Engine) -> None:
    engine.sender_limit = 2
    await engine.intake(sms(sender="+15550000009"))
    for _ in range(2):
        await engine.intake(sms(sender="+15550001111"))
    with pytest.raises(Exception, match="2 contacts in the last hour"):
        await engine.intake(sms(sender="+15550001111"))
    assert missed(engine, "arrivals") >= 1


async def test_a_roster_published_by_another_instance_is_the_one_recorded(engine: Engine) -> None:
    await staff(engine, ["ana"])
    await engine.intake(sms(sender="+15550000001"))
    other = elsewhere(engine)
    await staff(other, ["ben"])  # ana is off the new roster
    before = missed(engine, "roster")
    c = await engine.intake(sms(sender="+15550000002"))
    stored = await engine.get_contact(c.id)
    assert stored.roster_version == await engine.store.head_version()
    assert stored.status == ContactStatus.offered and stored.responder is None
    offers = await engine.store.get_offers(stored.offer_ids)
    assert [o.responder for o in offers] == ["ben"]
    assert missed(engine, "roster") == before + 1


async def test_a_contact_queued_by_another_instance_is_served_first(engine: Engine) -> None:
    await staff(engine, ["ana"], capacity={"sms": 1})
    await engine.intake(sms(sender="+15550000001"))  # a dispatch state is held: ana free, none waiting
    await engine.abandon("c_0001")
    assert isinstance(engine.store, RedisStore)
    other = RedisStore(engine.store.redis, engine.store.hotline)
    # Another instance queues a contact and has not yet run its pass.
    now = engine.clock.now()
    head = await other.head_version()
    ahead = intake.build(
        sms(sender="+15550000002"), engine.protocol, now, "c_ahead", await other.next_seq(), head, "k", []
    )
    await other.apply(ahead.transition)
    c = await engine.intake(sms(sender="+15550000003"))
    # This instance guessed nobody waiting and offered in its write: refused, decided again,
    # queued behind the one already waiting, which the pass then offers first.
    assert missed(engine, "queue") == 1
    assert (await engine.get_contact("c_ahead")).status == ContactStatus.offered
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued


async def test_a_state_moved_by_another_instance_is_read_before_offering(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 1})
    await engine.intake(sms(sender="+15550000001"))  # offered to one of them
    taken = (await engine.get_contact("c_0001")).offer_ids
    holder = (await engine.store.get_offers(taken))[0].responder
    free = "ben" if holder == "ana" else "ana"
    assert isinstance(engine.store, RedisStore)
    other = RedisStore(engine.store.redis, engine.store.hotline)
    # Another instance: the free one goes away. The state this instance holds says available.
    await other.set_presence(free, "away", engine.clock.now())
    c = await engine.intake(sms(sender="+15550000002"))
    stored = await engine.get_contact(c.id)
    assert stored.status == ContactStatus.queued, "nobody free: queued, never offered to someone away"
    assert missed(engine, "unavailable") == 1
    await other.set_presence(free, "available", engine.clock.now() + timedelta(seconds=1))


async def test_a_responder_changed_by_another_instance_is_read_before_offering(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 5}, languages=["en", "es"])
    await engine.intake(sms(sender="+15550000001"))
    first = (await engine.get_contact("c_0001")).offer_ids
    holder = (await engine.store.get_offers(first))[0].responder
    other_one = "ben" if holder == "ana" else "ana"
    there = elsewhere(engine)
    # Another instance: the one this instance would offer next no longer takes Spanish.
    record = await engine.store.get_responder(other_one)
    assert record is not None
    await there.put_responder(record.model_copy(update={"languages": ["en"]}))
    c = await engine.intake(sms("necesito ayuda", sender="+15550000002", language="es"))
    stored = await engine.get_contact(c.id)
    offers = await engine.store.get_offers(stored.offer_ids)
    assert [o.responder for o in offers] == [holder], "offered by the records as they stand"
    assert missed(engine, "responders") == 1


async def test_an_instance_that_read_a_while_ago_reads_before_it_offers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 5})
    await engine.intake(sms(sender="+15550000001"))
    # Its last read of the dispatch state is older than GUESS_WITHIN_S: other instances may
    # have offered since, and its idle times order who is offered first.
    engine._read_last -= receiving.GUESS_WITHIN_S + 1
    with round_trips(monkeypatch) as sent:
        await engine.intake(sms(sender="+15550000002"))
    assert sent[0] == 2, "read, then write"
    with round_trips(monkeypatch) as sent:
        await engine.intake(sms(sender="+15550000003"))
    assert sent[0] == 1, "read just now: guessed again"


async def test_a_busy_instance_reads_the_state_whole_after_its_write_at_most_every_refresh(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 5})
    await engine.intake(sms(sender="+15550000001"))
    asked = whole_reads_asked(engine, monkeypatch)
    # Read whole within REFRESH_S: the next intake's trip reads none of the state.
    monkeypatch.setattr(receiving, "REFRESH_S", 3600.0)
    with round_trips(monkeypatch) as sent:
        light = await engine.intake(sms(sender="+15550000002"))
    assert asked == [False] and sent[0] == 1
    # Its last whole read older than REFRESH_S: the write's trip reads the state whole again.
    monkeypatch.setattr(receiving, "REFRESH_S", 0.0)
    with round_trips(monkeypatch) as sent:
        whole = await engine.intake(sms(sender="+15550000003"))
    assert asked == [False, True] and sent[0] == 1
    for c in (light, whole):
        assert (await engine.get_contact(c.id)).status == ContactStatus.offered
    held = engine._held()
    assert held is not None
    assert (held.version, held.loads) == ((s := await engine.store.dispatch_state()).version, s.loads)


async def test_intakes_at_once_ask_for_one_whole_read_between_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben", "cy"], capacity={"sms": 5})
    await engine.intake(sms(sender="+15550000001"))
    asked = whole_reads_asked(engine, monkeypatch)
    # The last whole read older than REFRESH_S, young enough to guess on (GUESS_WITHIN_S).
    monkeypatch.setattr(receiving, "REFRESH_S", 1800.0)
    monkeypatch.setattr(receiving, "GUESS_WITHIN_S", 3600.0)
    engine._read_last = time.monotonic() - 2400.0
    # Five requests at once, as a busy instance has them: each decides before any trip is back.
    made = await asyncio.gather(*(engine.intake(sms(sender=f"+1555000010{i}")) for i in range(5)))
    assert asked == [True, False, False, False, False], "the first asks for it whole, the rest read light"
    for c in made:
        assert (await engine.get_contact(c.id)).status == ContactStatus.offered
    held = engine._held()
    assert held is not None
    assert (held.version, held.loads) == ((s := await engine.store.dispatch_state()).version, s.loads)


async def test_a_guess_refused_on_the_state_without_a_read_of_it_reads_it_whole_first(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben"], capacity={"sms": 1})
    await engine.intake(sms(sender="+15550000001"))  # offered to one of them
    holder = (await engine.store.get_offers((await engine.get_contact("c_0001")).offer_ids))[0].responder
    free = "ben" if holder == "ana" else "ana"
    assert isinstance(engine.store, RedisStore)
    other = RedisStore(engine.store.redis, engine.store.hotline)
    await other.set_presence(free, "away", engine.clock.now())  # the held state says available
    monkeypatch.setattr(receiving, "REFRESH_S", 3600.0)
    with round_trips(monkeypatch) as sent:
        c = await engine.intake(sms(sender="+15550000002"))
    # The write refused (with the light read in its trip), the state read whole, the contact
    # written queued, then the dispatch pass that follows a queued contact: one trip more than
    # when the write's own trip reads the state whole.
    assert sent[0] == 4, sent[0]
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    assert missed(engine, "unavailable") == 1
