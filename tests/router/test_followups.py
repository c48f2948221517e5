"""Referral follow-ups make every attempt the protocol asks for; feedback is counted anonymously."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from router import feedback
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import Invalid
from router.models import Contact
from router.timer_models import TimerKind
from router.timers import TimerRunner
from tests.router.helpers import sms, staff

DAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAY)


async def referred(engine: Engine) -> Contact:
    await staff(engine, ["ana"])
    c = await engine.intake(sms(language="en"))
    [offer] = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    await engine.send_message(c.id, "hello", "ana")
    return await engine.close(c.id, "referral", None, "ana", {"referral": {"partner": "ndvh"}})


async def task_after(engine: Engine, clock: VirtualClock, days: float, original: Contact) -> Contact:
    await clock.advance(days * 86400)
    await TimerRunner(engine).fire_due()
    contacts = await engine.store.get_contacts(await engine.store.open_contacts())
    [task] = [c for c in contacts if c.callback_for == original.id and c.is_open]
    return task


async def test_every_follow_up_attempt_is_made_until_they_run_out(
    engine: Engine, clock: VirtualClock
) -> None:
    f = engine.protocol.referral_follow_up
    assert (f.after, f.attempts, f.spacing) == (timedelta(days=3), 2, timedelta(days=2))
    original = await referred(engine)
    first = await task_after(engine, clock, 3, original)
    assert "follow_up" in first.flags and first.attempt == 1
    closed = await engine.close(first.id, "referral_unconfirmed", "no answer at the partner", "ana")
    entry = next(e for e in closed.timeline if e.event == "referral_unconfirmed")
    assert entry.model_extra is not None
    assert entry.model_extra["attempt"] == 1
    assert entry.model_extra["next_attempt_at"] == (DAY + timedelta(days=5)).isoformat()
    second = await task_after(engine, clock, 2, original)
    assert second.attempt == 2
    last = await engine.close(second.id, "referral_unconfirmed", "still no answer", "ana")
    entry = next(e for e in last.timeline if e.event == "referral_unconfirmed")
    assert entry.model_extra is not None and entry.model_extra["next_attempt_at"] is None
    assert not [t for t in await engine.store.timers() if t.kind == TimerKind.follow_up]


async def test_confirmation_stops_the_follow_ups(engine: Engine, clock: VirtualClock) -> None:
    original = await referred(engine)
    first = await task_after(engine, clock, 3, original)
    with pytest.raises(Invalid, match="confirmed_with"):
        await engine.close(first.id, "referral_confirmed", None, "ana", {"confirmed_with": "neighbour"})
    closed = await engine.close(first.id, "referral_confirmed", None, "ana", {"confirmed_with": "partner"})
    entry = next(e for e in closed.timeline if e.event == "referral_confirmed")
    assert entry.model_extra == {"for_contact": original.id, "attempt": 1, "confirmed_with": "partner"}
    await clock.advance(10 * 86400)
    await TimerRunner(engine).fire_due()
    contacts = await engine.store.get_contacts(await engine.store.open_contacts())
    assert [c for c in contacts if c.callback_for == original.id] == []


async def test_feedback_is_counted_by_day_without_a_link(engine: Engine, clock: VirtualClock) -> None:
    p = engine.protocol
    assert p.feedback is not None
    key = engine.sender_key("sms", "+15550000001")
    # an answer from someone never asked is not feedback
    assert not await feedback.take_answer(engine.store, p, key, "5", clock.now())
    other = engine.sender_key("sms", "+15550000009")
    await feedback.ask(engine.store, p, other)
    assert not await feedback.take_answer(engine.store, p, other, "maybe", clock.now())
    assert await feedback.take_answer(engine.store, p, other, "4", clock.now())
    assert not await feedback.take_answer(engine.store, p, other, "5", clock.now())  # one per question
    await clock.advance(86400)
    await feedback.count(engine.store, p, "2", clock.now())
    # 15:00 UTC is 10:00 in New York: the answers fall on the hotline's own days
    report = await feedback.report(engine.store, p, date(2026, 3, 3), date(2026, 3, 4))
    assert report["answers"] == 2 and report["total"]["4"] == 1 and report["total"]["2"] == 1
    assert report["by_day"]["2026-03-03"]["4"] == 1 and report["by_day"]["2026-03-04"]["2"] == 1
    tallies = [t for t in await engine.store.timers() if t.kind == TimerKind.tally]
    assert all(t.contact_id is None and key not in t.id and other not in t.id for t in tallies)
    # nothing about an answer reaches the event stream
    assert [e for _, e in await engine.store.read_events() if e.event.startswith("feedback")] == []


async def test_feedback_question_follows_an_answered_text_contact(engine: Engine) -> None:
    await staff(engine, ["ana"], languages=["en", "es"])
    c = await engine.intake(sms(language="es"))
    [offer] = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    await engine.send_message(c.id, "hola", "ana")
    closed = await engine.close(c.id, "support_given", None, "ana")
    assert [e.event for e in closed.timeline][-1] == "feedback_asked"
    assert feedback.question(engine.protocol, "es-MX") is not None
    assert "ayud" in (feedback.question(engine.protocol, "es-MX") or "")


@pytest.mark.parametrize("body", ["I'm 15 and scared", "help, he's here"])
async def test_no_feedback_question_when_texting_afterwards_could_be_unsafe(
    engine: Engine, body: str
) -> None:
    # minor and imminent danger are in the default protocol's skip_flags
    await staff(engine, ["ana"])
    c = await engine.intake(sms(body, language="en"))
    [offer] = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    await engine.send_message(c.id, "I'm here", "ana")
    report = {"not_required": "test"}
    closed = await engine.close(c.id, "support_given", None, "ana", {"mandated_report": report})
    assert set(closed.flags) & {"minor", "imminent_danger"}
    assert "feedback_asked" not in [e.event for e in closed.timeline]


async def test_feedback_only_on_the_channels_the_protocol_names(engine: Engine) -> None:
    fb = engine.protocol.feedback
    assert fb is not None
    engine.protocol = engine.protocol.model_copy(
        update={"feedback": fb.model_copy(update={"channels": ["chat"]})}
    )
    await staff(engine, ["ana"])
    c = await engine.intake(sms(language="en"))
    [offer] = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    await engine.send_message(c.id, "I'm here", "ana")
    closed = await engine.close(c.id, "support_given", None, "ana")
    assert "feedback_asked" not in [e.event for e in closed.timeline]
