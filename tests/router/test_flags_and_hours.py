"""Flags during a contact (priority moves it in place, danger goes parallel, minors need the
mandated report) and after-hours rules on every channel, in two time zones, with holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Priority, Protocol, parse_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.errors import Invalid, InvalidState
from router.flagging import add_flags
from router.models import ContactIn, ContactStatus
from router.notify import LogNotifier
from router.replies import reply_for
from router.store import Store
from tests.conftest import counter_ids
from tests.router.helpers import advance, pending_for, sms, staff

# 15:00 UTC is 10:00 in New York and 16:00 in Berlin.
DAY = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAY)


def pages(engine: Engine, reason: str) -> set[str]:
    assert isinstance(engine.notifier, LogNotifier)
    return {rid for kind, rid, _ in engine.notifier.sent if kind == reason}


# -- flags ----------------------------------------------------------------------------------
async def test_raising_priority_moves_a_waiting_contact_and_keeps_its_deadline(engine: Engine) -> None:
    await staff(engine, ["ana"], [], ["sue"])
    await engine.set_presence("ana", "away")
    await engine.set_presence("sue", "away")
    first = await engine.intake(sms("hello", sender="+15550000001"))
    second = await engine.intake(sms("hi", sender="+15550000002"))
    assert await engine.store.ready_queue() == [first.id, second.id]
    flagged = await add_flags(engine, second.id, ["minor"], None, "sue")
    assert flagged.priority.value == "high" and "minor" in flagged.flags
    assert flagged.deadline == second.deadline and flagged.seq == second.seq
    assert await engine.store.ready_queue() == [second.id, first.id]
    entry = flagged.timeline[-1]
    assert entry.event == "flags_added" and (entry.model_extra or {})["flags"] == ["minor"]
    # a priority alone may be raised too
    again = await add_flags(engine, first.id, [], Priority.critical, "sue")
    assert again.priority.value == "critical"
    assert await engine.store.ready_queue() == [first.id, second.id]


async def test_a_minor_flagged_during_the_contact_needs_the_mandated_report(engine: Engine) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms("hello"))
    [oid] = await pending_for(engine, "ana")
    await engine.accept(oid, "ana")
    await engine.send_message(c.id, "I'm here", "ana")
    await add_flags(engine, c.id, ["vulnerable_adult"], None, "ana")
    with pytest.raises(Invalid) as info:
        await engine.close(c.id, "support_given", None, "ana")
    assert "mandated_report" in info.value.message


async def test_imminent_danger_on_a_waiting_contact_goes_to_everyone_and_pages_now(engine: Engine) -> None:
    await staff(engine, ["ana", "ben"], ["cy"], ["sue"])
    c = await engine.intake(sms("hello"))
    assert len(await engine.offers_for(None, None)) == 1  # offered to one primary
    flagged = await add_flags(engine, c.id, ["imminent_danger"], None, "caller")
    assert flagged.parallel and flagged.priority.value == "critical"
    assert {o.responder for o in await engine.offers_for(None, None)} == {"ana", "ben", "cy", "sue"}
    assert pages(engine, "imminent_danger") == {"sue"}
    # the ladder is skipped: its steps are disarmed, the breach stays
    kinds = {t.kind.value for t in await engine.store.timers() if t.contact_id == c.id}
    assert "escalate" not in kinds and "breach" in kinds


async def test_flag_names_are_checked_and_nothing_changes(engine: Engine) -> None:
    c = await engine.intake(sms("hello"))
    with pytest.raises(Invalid) as info:
        await add_flags(engine, c.id, ["not_a_flag"], None, "sue")
    assert info.value.details[0]["loc"] == ["add", "0"]
    with pytest.raises(Invalid):
        await add_flags(engine, c.id, ["x" * 500], None, "sue")
    assert (await engine.get_contact(c.id)).flags == c.flags
    await engine.abandon(c.id)
    with pytest.raises(InvalidState):
        await add_flags(engine, c.id, ["minor"], None, "sue")


# -- after hours ----------------------------------------------------------------------------
HOURS = """
timezone: {zone}
languages: [en]
holidays:
  - {{date: 2026-12-25, name: Christmas}}
  - {{date: 2026-12-24, name: Christmas Eve, open_hours: [{{start: "09:00", end: "12:00"}}]}}
channels:
  sms:
    open_hours: [{{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}}]
    auto_reply: {{en: "A person will reply soon."}}
    after_hours: {{en: "We are closed now; a person will reply when we open at 9."}}
  email:
    open_hours: [{{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}}]
    after_hours: {{en: "Email is answered weekdays 9-5."}}
  chat:
    open_hours: [{{days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}}]
    greeting: {{en: "Welcome."}}
    after_hours: {{en: "Chat is closed; call us."}}
callbacks:
  - when: [after_hours]
    channels: [sms, chat, email]
    due_after: 1m
    attempts: 1
    use: sms
  - when: [abandoned]
    due_after: 30m
    attempts: 1
"""


def hours_protocol(zone: str) -> Protocol:
    return parse_protocol(HOURS.format(zone=zone), "hours.yaml")


@pytest.mark.parametrize(
    ("zone", "utc", "open_now"),
    [
        ("America/New_York", datetime(2026, 3, 3, 15, 0, tzinfo=UTC), True),  # Tue 10:00
        ("America/New_York", datetime(2026, 3, 3, 23, 0, tzinfo=UTC), False),  # Tue 18:00
        ("America/New_York", datetime(2026, 3, 3, 13, 30, tzinfo=UTC), False),  # Tue 08:30
        ("Europe/Berlin", datetime(2026, 3, 3, 15, 0, tzinfo=UTC), True),  # Tue 16:00
        ("Europe/Berlin", datetime(2026, 3, 3, 16, 30, tzinfo=UTC), False),  # Tue 17:30
        ("Europe/Berlin", datetime(2026, 3, 7, 11, 0, tzinfo=UTC), False),  # Sat 12:00
        ("Europe/Berlin", datetime(2026, 12, 25, 11, 0, tzinfo=UTC), False),  # Fri, Christmas
        ("Europe/Berlin", datetime(2026, 12, 24, 10, 0, tzinfo=UTC), True),  # Christmas Eve 11:00
        ("Europe/Berlin", datetime(2026, 12, 24, 12, 0, tzinfo=UTC), False),  # Christmas Eve 13:00
    ],
)
async def test_after_hours_on_every_text_channel(
    store: Store, zone: str, utc: datetime, open_now: bool
) -> None:
    clock = VirtualClock(utc)
    p = hours_protocol(zone)
    engine = Engine(store, clock, p, notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"])
    await engine.set_presence("ana", "away")
    for channel, sender, ordinary in (
        ("sms", "+15550001000", "auto_reply"),
        ("email", "river@example.org", "auto_reply"),
        ("chat", "chat:s1", "greeting"),
    ):
        c = await engine.intake(ContactIn.model_validate({"channel": channel, "from": sender, "body": "hi"}))
        # still queued and timed: the deadline and the breach timer are there either way
        assert c.status == ContactStatus.queued and c.deadline == utc + p.response_target
        assert ("after_hours" in c.flags) is (not open_now)
        text = await reply_for(p, store, c, ordinary)  # type: ignore[arg-type]
        kind = "after_hours" if not open_now else ordinary
        assert text == p.text(channel, kind, "en")  # type: ignore[arg-type]


async def test_after_hours_callback_rule_fires_when_the_person_leaves(store: Store) -> None:
    # Tuesday 20:00 in New York: closed.
    clock = VirtualClock(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    engine = Engine(
        store, clock, hours_protocol("America/New_York"), notifier=LogNotifier(), id_factory=counter_ids()
    )
    await staff(engine, ["ana"])
    await engine.set_presence("ana", "away")
    chat = await engine.intake(
        ContactIn.model_validate({"channel": "chat", "from": "+15550002000", "body": "hi"})
    )
    await engine.abandon(chat.id)
    [timer] = [t for t in await store.timers() if t.kind.value == "callback"]
    # A chat left no phone number to text: it is called back on chat.
    assert timer.due - clock.now() == timedelta(minutes=1) and timer.via == ["chat"]
    await advance(engine, clock, 60, step=30)
    [task_id] = await store.open_contacts()
    task = await engine.get_contact(task_id)
    assert task.channel == "chat" and "callback_after_hours" in task.flags
    # in open hours the ordinary abandoned rule applies instead
    await clock.advance(14 * 3600)  # Wednesday 10:00
    day = await engine.intake(
        ContactIn.model_validate({"channel": "chat", "from": "+15550003000", "body": "hi"})
    )
    await engine.abandon(day.id)
    later = [t for t in await store.timers() if t.kind.value == "callback" and t.contact_id == day.id]
    assert [t.due - clock.now() for t in later] == [timedelta(minutes=30)]


LADDERS = """
timezone: America/Chicago
channels:
  sms:
    open_hours: [{start: "08:00", end: "20:00"}]
escalation:
  - {after: 5m, notify: [backup]}
  - {after: 10m, notify: [supervisor]}
after_hours_escalation:
  - {after: 1m, notify: [supervisor], via: [voice]}
"""


@pytest.mark.parametrize(
    ("utc", "first_step"),
    [
        (datetime(2026, 3, 3, 15, 0, tzinfo=UTC), (timedelta(minutes=5), ["backup"])),  # 09:00 Chicago
        (datetime(2026, 3, 4, 3, 0, tzinfo=UTC), (timedelta(minutes=1), ["supervisor"])),  # 21:00 Chicago
    ],
)
async def test_after_hours_contacts_climb_the_after_hours_ladder(
    store: Store, utc: datetime, first_step: tuple[timedelta, list[str]]
) -> None:
    clock = VirtualClock(utc)
    engine = Engine(
        store,
        clock,
        parse_protocol(LADDERS, "ladders.yaml"),
        notifier=LogNotifier(),
        id_factory=counter_ids(),
    )
    await staff(engine, ["ana"], ["ben"], ["sue"])
    for rid in ("ana", "ben", "sue"):
        await engine.set_presence(rid, "away")
    c = await engine.intake(sms("hello"))
    await advance(engine, clock, 11 * 60, step=30)
    got = await engine.get_contact(c.id)
    steps = [
        (e.at - c.received_at, (e.model_extra or {})["notify"])
        for e in got.timeline
        if e.event == "escalated"
    ]
    assert steps[0] == first_step
    assert len(steps) == (2 if first_step[1] == ["backup"] else 1)
    assert pages(engine, "escalation") == ({"ben", "sue"} if len(steps) == 2 else {"sue"})
    # the closing of an after-hours contact disarms every step timer of either ladder
    await engine.abandon(c.id)
    assert not [t for t in await store.timers() if t.contact_id == c.id and t.kind.value == "escalate"]
