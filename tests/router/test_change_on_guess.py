"""Changes in one round trip on Redis (router/changing.py): a contact this instance wrote or read
is changed on what it knows of it, under its revision, with the contact read in the same trip;
when another instance changed it meanwhile, the change is decided again on that read (two round
trips, as before), and a refusal decided on what this instance knew is never given unread."""

from __future__ import annotations

import pytest

from router.engine import Engine
from router.errors import InvalidState
from router.models import ContactStatus
from tests.router import trips
from tests.router.helpers import sms, staff
from tests.router.trips import counting_reads, elsewhere, round_trips

# The daytime clock and Redis only (tests/router/trips.py), as this module's fixtures.
clock = trips.clock
redis_only = trips.redis_only


async def offered(engine: Engine) -> tuple[str, str]:
    await staff(engine, ["ana"])
    c = await engine.intake(sms(sender="+15550000001"))
    [offer] = await engine.store.get_offers((await engine.get_contact(c.id)).offer_ids)
    # Redis learns contact_view.lua on its first call (NOSCRIPT, loaded, sent again): not counted.
    await engine.store.contact_view("nobody")
    return c.id, offer.id


async def test_accept_message_and_close_of_a_contact_this_instance_offered_are_one_trip_each(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, oid = await offered(engine)
    with round_trips(monkeypatch) as sent:
        await engine.accept(oid, by="ana")
    assert sent[0] == 1, ("accept", sent[0])
    with round_trips(monkeypatch) as sent:
        await engine.send_message(cid, "We hear you.", "ana")
    assert sent[0] == 1, ("message", sent[0])
    with round_trips(monkeypatch) as sent:
        closed = await engine.close(cid, "support_given", None, "ana")
    assert sent[0] == 1 and closed.status == ContactStatus.closed
    stored = await engine.get_contact(cid)
    events = [e.event for e in stored.timeline]
    assert {"accepted", "closed"} <= set(events) and stored.messages[-1].body == "We hear you."
    assert stored.status == ContactStatus.closed and stored.rev == closed.rev


async def test_a_contact_changed_by_another_instance_is_decided_again_on_the_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, oid = await offered(engine)
    await engine.accept(oid, by="ana")
    other = elsewhere(engine)
    await other.receive_message(cid, "are you there?")  # this instance never saw it
    with round_trips(monkeypatch) as sent:
        replied = await engine.send_message(cid, "Yes, I am here.", "ana")
    assert sent[0] == 2, "the guess refused, the contact read in the same trip, written again"
    bodies = [m.body for m in replied.messages]
    assert bodies[-2:] == ["are you there?", "Yes, I am here."]
    assert (await engine.get_contact(cid)).rev == replied.rev


async def test_a_refusal_decided_on_what_this_instance_knew_is_read_again_first(engine: Engine) -> None:
    cid, oid = await offered(engine)  # known here as offered
    other = elsewhere(engine)
    await other.accept(oid, by="ana")  # accepted through another instance
    # Offered, as this instance knew it, takes no message; assigned, as it stands, does.
    replied = await engine.send_message(cid, "Hello, I'm Ana.", "ana")
    assert replied.status == ContactStatus.answered and replied.messages[-1].body == "Hello, I'm Ana."
    # Closed elsewhere: the refusal stands once read.
    await other.close(cid, "support_given", None, "ana")
    with pytest.raises(InvalidState):
        await engine.send_message(cid, "Still there?", "ana")


async def test_an_offer_declined_elsewhere_is_not_accepted_here(engine: Engine) -> None:
    cid, oid = await offered(engine)
    other = elsewhere(engine)
    await other.decline(oid, by="ana")
    with pytest.raises(InvalidState):
        await engine.accept(oid, by="ana")
    stored = await engine.get_contact(cid)
    assert stored.status != ContactStatus.assigned and stored.responder is None


async def test_a_decline_reads_nothing_and_answers_with_the_contact_as_it_wrote_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms(sender="+15550000001"))
    [first] = await engine.store.get_offers((await engine.get_contact(c.id)).offer_ids)
    reads = counting_reads(monkeypatch, engine.store)
    after = await engine.decline(first.id, by=first.responder)
    assert reads == [], "decided on what this instance wrote, and answered with what it wrote next"
    monkeypatch.undo()
    stored = await engine.get_contact(c.id)
    # Offered at once to the other one, by the pass that followed; the answer says so.
    assert after == stored and stored.status == ContactStatus.offered
    pending = [o for o in await engine.offers_for(None, "pending") if o.contact_id == c.id]
    assert [o.responder for o in pending] == ["ben" if first.responder == "ana" else "ana"]
