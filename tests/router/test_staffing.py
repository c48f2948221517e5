"""Responders' time on the virtual clock: wrap-up, answer timeout, breaks, reassign, debriefs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Protocol, default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import Invalid, InvalidState
from router.models import Contact, ContactIn, ContactStatus, Responder
from router.notify import LogNotifier
from router.store import Transition
from router.transitions import queue_score
from tests.router.helpers import advance, events_of, pending_for, sms, staff

# 15:00 UTC is 10:00 at the hotline (America/New_York): no overnight rule applies.
DAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAY)


def sent(engine: Engine, kind: str) -> list[tuple[str, str]]:
    assert isinstance(engine.notifier, LogNotifier)
    return [(rid, cid) for k, rid, cid in engine.notifier.sent if k == kind]


async def talk(engine: Engine, rid: str, body: str = "I need help", sender: str = "+15550000001") -> str:
    """A contact offered to `rid`, accepted and answered; its id."""
    c = await engine.intake(sms(body, sender=sender, language="en"))
    [offer] = [o for o in await engine.offers_for(rid, None) if o.contact_id == c.id]
    await engine.accept(offer.id, rid)
    await engine.send_message(c.id, "I'm here", rid)
    return c.id


# -- wrap-up ----------------------------------------------------------------------------
async def test_wrap_up_holds_the_next_offer_then_dispatches_it(engine: Engine, clock: VirtualClock) -> None:
    assert engine.protocol.wrap_up == timedelta(minutes=2)
    await staff(engine, ["ana"])
    await engine.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 1}))
    first = await talk(engine, "ana")
    waiting = await engine.intake(sms(sender="+15550000002"))
    await engine.close(first, "support_given", None, "ana")
    state = await engine.responder_state("ana")
    assert state.wrap_up_until == DAY + timedelta(minutes=2)
    assert "wrap_up" in await events_of(engine, await engine.get_contact(first))
    await advance(engine, clock, 119, step=7)
    assert (await engine.get_contact(waiting.id)).status == ContactStatus.queued
    await advance(engine, clock, 1)
    assert (await engine.get_contact(waiting.id)).status == ContactStatus.offered
    assert (await engine.responder_state("ana")).wrap_up_until is None


async def test_wrap_up_of_one_does_not_hold_another(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana", "ben"])
    first = await talk(engine, "ana")
    await engine.close(first, "support_given", None, "ana")
    nxt = await engine.intake(sms(sender="+15550000002"))
    assert (await engine.get_contact(nxt.id)).status == ContactStatus.offered
    assert await pending_for(engine, "ben") != []


@pytest.mark.parametrize("protocol", [default_protocol().model_copy(update={"wrap_up": timedelta(0)})])
async def test_zero_wrap_up_offers_at_once(engine: Engine, protocol: Protocol) -> None:
    await staff(engine, ["ana"])
    await engine.put_responder(Responder(id="ana", name="Ana", capacity={"sms": 1}))
    first = await talk(engine, "ana")
    waiting = await engine.intake(sms(sender="+15550000002"))
    await engine.close(first, "support_given", None, "ana")
    assert (await engine.get_contact(waiting.id)).status == ContactStatus.offered
    assert (await engine.responder_state("ana")).wrap_up_until is None


def test_wrap_up_limits() -> None:
    with pytest.raises(ValueError, match="wrap_up"):
        Protocol.model_validate({"wrap_up": "2h"})
    with pytest.raises(ValueError, match="answer_timeout"):
        Protocol.model_validate({"answer_timeout": "5s"})


# -- answer timeout -------------------------------------------------------------------------
async def test_accepted_but_never_answered_goes_back_to_its_place(
    engine: Engine, clock: VirtualClock
) -> None:
    await staff(engine, ["ana", "ben"])
    c = await engine.intake(sms(language="en"))
    [offer] = await engine.offers_for(None, None)
    held_by = offer.responder
    await engine.accept(offer.id, held_by)
    before = await engine.get_contact(c.id)
    await advance(engine, clock, 179, step=10)
    assert (await engine.get_contact(c.id)).status == ContactStatus.assigned
    await advance(engine, clock, 1)
    after = await engine.get_contact(c.id)
    assert "answer_timeout" in [e.event for e in after.timeline]
    # same place in the queue, same deadline; offered to the other responder now
    assert queue_score(after) == queue_score(before) and after.deadline == before.deadline
    other = "ben" if held_by == "ana" else "ana"
    assert after.status == ContactStatus.offered and await pending_for(engine, other) != []
    assert (await engine.store.loads()).get((held_by, "sms"), 0) == 0
    assert (held_by, "") in sent(engine, "notice")


async def test_answer_in_time_disarms_the_timeout(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    cid = await talk(engine, "ana")
    assert f"answer:{cid}" not in {t.id for t in await engine.store.timers()}
    await advance(engine, clock, 400, step=50)
    c = await engine.get_contact(cid)
    assert c.status == ContactStatus.answered and "answer_timeout" not in [e.event for e in c.timeline]


# -- breaks and presence ------------------------------------------------------------------------
async def test_break_skips_offers_until_it_ends(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    until = await engine.take_break("ana", 10)
    assert until == DAY + timedelta(minutes=10)
    assert (await engine.responder_state("ana")).break_until == until
    c = await engine.intake(sms())
    await advance(engine, clock, 599, step=60)
    assert (await engine.get_contact(c.id)).status == ContactStatus.queued
    await advance(engine, clock, 1)
    assert (await engine.store.presence())["ana"] == "available"
    assert (await engine.get_contact(c.id)).status == ContactStatus.offered


async def test_own_presence_ends_a_break(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    await engine.take_break("ana", 10)
    await engine.set_presence("ana", "offline")  # gone home: the break must not bring them back
    await advance(engine, clock, 700, step=100)
    assert (await engine.store.presence())["ana"] == "offline"
    with pytest.raises(Invalid):
        await engine.take_break("ana", 500)


# -- reassign -------------------------------------------------------------------------------------
async def test_supervisor_reassigns_held_and_waiting_contacts(engine: Engine) -> None:
    await staff(engine, ["ana"], ["ben"], ["sue"])
    cid = await talk(engine, "ana")
    await engine.change_or_stale(cid, lambda c: _with_draft(c))
    moved = await engine.reassign(cid, "ben", "sue")
    assert "sms_close_draft" not in moved.outcome  # ana's half-done SMS close is not ben's
    assert moved.responder == "ben" and moved.status == ContactStatus.answered
    loads = await engine.store.loads()
    assert loads.get(("ana", "sms"), 0) == 0 and loads[("ben", "sms")] == 1
    entry = [e for e in moved.timeline if e.event == "reassigned"][-1]
    assert entry.model_extra == {"to": "ben", "by": "sue", "was": "answered", "responder": "ana"}
    waiting = await engine.intake(sms(sender="+15550000002"))  # offered to ana (primary)
    offered = await engine.reassign(waiting.id, "sue", "sue")
    assert [o.responder for o in await engine.offers_for(None, None) if o.contact_id == waiting.id] == ["sue"]
    assert offered.status == ContactStatus.offered
    with pytest.raises(InvalidState):
        await engine.reassign(cid, "ben", "sue")  # already with ben


async def _with_draft(c: Contact) -> Transition:
    outcome = {**c.outcome, "sms_close_draft": {"disposition": "referral"}}
    return Transition(contact=c.model_copy(update={"outcome": outcome}), expect_rev=c.rev)


# -- Standard 31 -------------------------------------------------------------------------------------
async def test_stressful_close_offers_a_debrief(engine: Engine) -> None:
    await staff(engine, ["ana"], [], ["sue"])
    cid = await talk(engine, "ana", "they took my passport and I can't leave")
    closed = await engine.close(cid, "support_given", None, "ana")
    assert "trafficking" in closed.flags
    entry = next(e for e in closed.timeline if e.event == "debrief_offered")
    assert entry.model_extra == {"responder": "ana", "reason": ["trafficking"], "break_s": 900}
    assert ("sue", cid) in sent(engine, "debrief")
    assert ("ana", "") in sent(engine, "notice")
    # the break the debrief offers is the protocol's break_for when no length is given
    assert await engine.take_break("ana") == DAY + timedelta(minutes=15)


async def test_ordinary_close_offers_no_debrief(engine: Engine) -> None:
    await staff(engine, ["ana"], [], ["sue"])
    cid = await talk(engine, "ana")
    closed = await engine.close(cid, "support_given", None, "ana")
    assert "debrief_offered" not in [e.event for e in closed.timeline]
    assert sent(engine, "debrief") == []


async def test_an_accepted_call_is_not_moved(engine: Engine) -> None:
    await staff(engine, ["ana"], ["ben"], ["sue"])
    c = await engine.intake(ContactIn.model_validate({"channel": "voice", "from": "+15550000003"}))
    [offer] = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    with pytest.raises(InvalidState, match="call cannot be moved"):
        await engine.reassign(c.id, "ben", "sue")
    assert (await engine.get_contact(c.id)).responder == "ana"
