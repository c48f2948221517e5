"""While the person waits: bounded re-offers (no event loop), language by BCP 47 with its
fallback, the chat hold notice, and the callback's opening words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Protocol, default_protocol
from protocols.promises import LanguageFallback
from router.clock import VirtualClock
from router.engine import Engine
from router.models import ContactIn, ContactStatus, Responder
from router.notify import LogNotifier
from router.store import Store
from schedules import Roster, Shift
from tests.conftest import counter_ids
from tests.router.helpers import advance, pending_for, sms, staff

# 15:00 UTC is 10:00 at the hotline (America/New_York).
DAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAY)


def engine_with(store: Store, clock: VirtualClock, p: Protocol) -> Engine:
    return Engine(store, clock, p, notifier=LogNotifier(), id_factory=counter_ids())


async def stream_size(engine: Engine) -> int:
    total, after = 0, "0"
    while True:
        rows = await engine.store.read_events(after, 1000)
        if not rows:
            return total
        total += len(rows)
        after = rows[-1][0]


async def test_idle_instance_with_an_unanswered_contact_stops_appending_events(
    engine: Engine, clock: VirtualClock
) -> None:
    # ana is on call and "available" but never answers: every offer lapses.
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    await advance(engine, clock, 25 * 60, step=30)  # past the whole ladder and the breach
    before = await stream_size(engine)
    await advance(engine, clock, 10 * 60, step=30)
    assert await stream_size(engine) == before  # 0 events in 10 idle virtual minutes
    assert not [t for t in await engine.store.timers() if t.kind.value == "redispatch"]
    got = await engine.get_contact(c.id)
    assert got.status == ContactStatus.queued and got.breached
    # ...and the moment someone new is eligible, it is offered to them.
    await engine.put_responder(Responder(id="ben", name="ben"))
    now = clock.now()
    await engine.rosters.put_draft("main", _roster(["ana", "ben"], now), now, now + timedelta(days=1))
    await engine.rosters.publish("main", now, now + timedelta(days=1), True, "test")
    await engine.dispatch()
    assert len(await pending_for(engine, "ben")) == 1


def _roster(ids: list[str], now: datetime) -> Roster:
    return Roster(
        shifts=[Shift(responder=r, role="primary", start=now, end=now + timedelta(days=1)) for r in ids]
    )


async def test_a_responder_who_lets_it_pass_gets_it_twice_per_ladder_step(
    store: Store, clock: VirtualClock
) -> None:
    engine = engine_with(store, clock, default_protocol().model_copy(update={"escalation": []}))
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    await advance(engine, clock, 20 * 60 - 10, step=10)  # no ladder: only the breach moves it on
    got = await engine.get_contact(c.id)
    offered = [round((e.at - c.received_at).total_seconds()) for e in got.timeline if e.event == "offered"]
    assert offered == [0, 120]  # offer, lapse, cooldown, offer again, lapse: then quiet
    await advance(engine, clock, 10 * 60, step=10)
    got = await engine.get_contact(c.id)
    offered = [round((e.at - c.received_at).total_seconds()) for e in got.timeline if e.event == "offered"]
    assert offered == [0, 120, 1200, 1320]  # the breach starts one more round


@pytest.mark.parametrize(
    ("contact_lang", "speaker"), [("es-MX", ["es"]), ("es", ["es-MX"]), ("ES_mx", ["es-US"])]
)
async def test_language_matches_by_primary_subtag(
    engine: Engine, contact_lang: str, speaker: list[str]
) -> None:
    await staff(engine, ["ana"], languages=speaker)
    await engine.intake(sms("hola", language=contact_lang))
    assert len(await pending_for(engine, "ana")) == 1


async def test_nobody_speaks_it_the_fallback_widens_with_the_interpreter(
    store: Store, clock: VirtualClock
) -> None:
    fallback = LanguageFallback(
        after=timedelta(minutes=2), interpreter="Language Line 1-800-555-0199, code 4411"
    )
    engine = engine_with(store, clock, default_protocol().model_copy(update={"language_fallback": fallback}))
    await staff(engine, ["ana"], languages=["en"])
    c = await engine.intake(sms("bonjour", language="fr"))
    await advance(engine, clock, 119, step=7)
    assert await pending_for(engine, "ana") == []
    await advance(engine, clock, 1)
    got = await engine.get_contact(c.id)
    assert got.status == ContactStatus.offered and got.interpreter == fallback.interpreter
    widened = next(e for e in got.timeline if e.event == "language_widened")
    assert widened.at - c.received_at == timedelta(minutes=2)
    assert await pending_for(engine, "ana") == ["o_0001"]


async def test_fallback_waits_while_someone_on_call_speaks_it(store: Store, clock: VirtualClock) -> None:
    fallback = LanguageFallback(after=timedelta(minutes=2), interpreter="interpreter line")
    engine = engine_with(store, clock, default_protocol().model_copy(update={"language_fallback": fallback}))
    await staff(engine, ["ana", "eva"], languages=["en"])
    await engine.store.put_responder(Responder(id="eva", name="eva", languages=["fr"]), clock.now())
    await engine.set_presence("eva", "away")  # she speaks it, but is away
    c = await engine.intake(sms("bonjour", language="fr"))
    await advance(engine, clock, 150, step=30)
    assert not (await engine.get_contact(c.id)).language_open
    assert await pending_for(engine, "ana") == []


async def test_at_the_breach_language_is_dropped_whatever_the_protocol(
    store: Store, clock: VirtualClock
) -> None:
    engine = engine_with(store, clock, default_protocol().model_copy(update={"language_fallback": None}))
    await staff(engine, ["ana"], languages=["en"])
    c = await engine.intake(sms("hallo", language="de"))
    await advance(engine, clock, 20 * 60 - 30, step=30)
    assert await pending_for(engine, "ana") == []
    await advance(engine, clock, 30)
    got = await engine.get_contact(c.id)
    assert got.breached and got.language_open and got.status == ContactStatus.offered


async def test_chat_hold_notice_repeats_at_the_interval_until_answered(
    engine: Engine, clock: VirtualClock
) -> None:
    await staff(engine, ["ana"], languages=["en", "es"])
    await engine.set_presence("ana", "away")
    chat = ContactIn.model_validate({"channel": "chat", "from": "chat:s1", "body": "hello", "language": "es"})
    c = await engine.intake(chat)
    await advance(engine, clock, 5 * 60, step=15)  # default.yaml: chat hold every 2m
    got = await engine.get_contact(c.id)
    notices = [e.at - c.received_at for e in got.timeline if e.event == "hold_notice"]
    assert notices == [timedelta(minutes=2), timedelta(minutes=4)]
    assert got.messages[-1].body == engine.protocol.text("chat", "hold", "es")
    await engine.set_presence("ana", "available")
    [oid] = await pending_for(engine, "ana")
    await engine.accept(oid, "ana")
    await engine.send_message(c.id, "Hola, soy Ana", "ana")
    await advance(engine, clock, 5 * 60, step=30)
    got = await engine.get_contact(c.id)
    assert [e.event for e in got.timeline].count("hold_notice") == 2
    assert not [t for t in await engine.store.timers() if t.contact_id == c.id]


async def test_sms_callback_opens_with_the_safety_check(engine: Engine, clock: VirtualClock) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms("hello", sender="+15550009999", language="en"))
    await engine.abandon(c.id)
    await advance(engine, clock, 5 * 60, step=30)  # default.yaml: sms callback after 5m, by sms
    [task_id] = await engine.store.open_contacts()
    task = await engine.get_contact(task_id)
    opening = engine.protocol.text("sms", "callback", "en")
    assert opening and task.opening == opening
    [oid] = await pending_for(engine, "ana")
    accepted = await engine.accept(oid, "ana")
    # sent first, by the system; the responder's own first reply is still what answers it
    assert accepted.messages[-1].body == opening and accepted.status == ContactStatus.assigned
    answered = await engine.send_message(task.id, "Hi, it's Ana", "ana")
    assert answered.status == ContactStatus.answered


@pytest.mark.parametrize("only_if_safe", [True, False])
async def test_no_callback_for_a_contact_flagged_handle_with_care_when_only_if_safe(
    store: Store, clock: VirtualClock, only_if_safe: bool
) -> None:
    p = default_protocol()
    rules = [r.model_copy(update={"only_if_safe": only_if_safe}) for r in p.callbacks]
    engine = engine_with(store, clock, p.model_copy(update={"callbacks": rules}))
    careful = await engine.intake(sms("hello", sender="+15550001111", flags=["handle_with_care"]))
    plain = await engine.intake(sms("hello", sender="+15550002222"))
    for c in (careful, plain):
        await engine.abandon(c.id)
    called = {t.contact_id for t in await engine.store.timers() if t.kind.value == "callback"}
    assert called == ({plain.id} if only_if_safe else {careful.id, plain.id})
