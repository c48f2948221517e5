"""The protocol's retention periods, applied on the virtual clock: personal data leaves Redis
after `personal_data`, facts are anonymised after `contact_records`, audit goes after
`access_audit`; a dry run changes nothing; each purge is recorded as counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from router import intake
from router.ledger import Ledger, retention
from router.ledger.bounded import Bounds
from router.ledger.schema import contacts, events, purges
from router.models import Event
from router.timer_models import Timer
from tests.ledger.helpers import PHONE, a_day


async def test_retention_periods_on_the_virtual_clock(ledger: Ledger) -> None:
    day = await a_day(ledger)
    store, p = day.engine.store, day.engine.protocol
    await store.record([Event(at=day.start, event="audit", actor="ana", role="responder", action="read")])
    await day.writer.catch_up()
    keep = p.retention
    early = await retention.plan(ledger, keep, day.clock.now() + timedelta(days=1))
    assert early["personal_data_contacts"] == 0 and early["audit_records"] == 0
    await day.clock.advance((keep.personal_data + timedelta(days=1)).total_seconds())
    now = day.clock.now()
    plan = await retention.plan(ledger, keep, now)
    assert plan["personal_data_contacts"] == 5 and plan["report_free_text"] == 1
    assert plan["contact_records_anonymised"] == 0
    assert await store.get_contact(day.on_time) is not None  # the dry run changed nothing
    done = await retention.purge(store, ledger, keep, now)
    assert done["personal_data_contacts"] == 5 and done["report_free_text"] == 1
    for cid in (day.on_time, day.late, day.abandoned, day.minor_reported, day.minor_not_required):
        assert await store.get_contact(cid) is None
    async with ledger.engine.connect() as conn:
        reason = (
            await conn.execute(
                select(contacts.c.report_not_required).where(contacts.c.id == day.minor_not_required)
            )
        ).scalar()
        assert reason == retention.PURGED
        kinds = {r.kind: r._mapping["count"] for r in await conn.execute(select(purges))}
    assert kinds == {"personal_data_contacts": 5, "report_free_text": 1}
    assert (await retention.plan(ledger, keep, now))["personal_data_contacts"] == 0

    await day.clock.advance((keep.contact_records + timedelta(days=1)).total_seconds())
    done = await retention.purge(store, ledger, keep, day.clock.now())
    assert (
        done["contact_records_anonymised"] == 6 and done["audit_records"] == 1 and done["timeline_events"] > 0
    )
    async with ledger.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(events))).scalar() == 0
        row = (await conn.execute(select(contacts).where(contacts.c.id == day.on_time))).one()._mapping
    assert row["responder"] is None and row["anonymised_at"] is not None
    assert row["time_to_answer_s"] == 30.0 and row["channel"] == "sms"  # the facts stay, as counts
    history = await retention.history(ledger)
    assert all(set(h) == {"at", "kind", "before", "count"} for h in history)


async def test_forget_waits_for_timers_that_still_need_the_contact(ledger: Ledger) -> None:
    """A contact an open callback task serves, or a timer still names, stays in Redis past the
    grace period: the task's next attempt reads it."""
    day = await a_day(ledger)
    engine = day.engine
    await day.writer.catch_up()
    bounds = Bounds(engine.store, ledger, day.clock, grace=timedelta(hours=1))
    later = day.clock.now() + timedelta(hours=2)
    timers = {t.contact_id for t in await engine.store.timers() if t.contact_id}
    gone = await bounds.forget(later)
    assert gone >= 1
    for cid in (day.on_time, day.late, day.minor_reported):
        assert (await engine.store.get_contact(cid) is None) == (cid not in timers)
    assert await engine.store.get_contact(day.abandoned) is not None  # its callback task is open


async def test_with_nobody_due_neither_purge_nor_forget_reads_the_timers(ledger: Ledger) -> None:
    """Whom the timers wait on is read (every timer, parsed) only when someone is due: a
    leader's purge found nobody due and still read them all, a stall of seconds with tens of
    thousands of contacts open."""
    day = await a_day(ledger)
    store = day.engine.store
    await day.writer.catch_up()
    read = store.timers
    reads: list[int] = []

    async def counted() -> list[Timer]:
        found = await read()
        reads.append(len(found))
        return found

    store.timers = counted  # type: ignore[method-assign]
    now = day.clock.now()
    done = await retention.purge(store, ledger, day.engine.protocol.retention, now)
    assert done["personal_data_contacts"] == 0
    assert await Bounds(store, ledger, day.clock).forget(now) == 0
    assert reads == []
    await day.clock.advance((day.engine.protocol.retention.personal_data + timedelta(days=1)).total_seconds())
    done = await retention.purge(store, ledger, day.engine.protocol.retention, day.clock.now())
    assert done["personal_data_contacts"] == 5 and len(reads) == 1 and reads[0] > 0


async def test_a_persons_arrivals_leave_live_state_once_no_rule_looks_back(ledger: Ledger) -> None:
    """Each write drops only its own sender's old arrivals: without the bounding job's hourly
    pass, everyone who reached out once would leave their keyed address hash in Redis for good."""
    day = await a_day(ledger)
    engine = day.engine
    await day.writer.catch_up()
    keys = [engine.sender_key("sms", n) for n in (PHONE, "+15550003333", "+15550004444")]
    bounds = Bounds(engine.store, ledger, day.clock)
    kept_for = intake.arrival_memory(engine.protocol)  # a day, as the default repeat rule looks back
    assert day.clock.now() - day.start < timedelta(minutes=30)  # every arrival came in this half hour
    await day.clock.advance((kept_for - timedelta(minutes=30)).total_seconds())
    await bounds()
    assert len((await engine.store.intake_state(keys)).arrivals) == 3  # a repeat is still seen
    await day.clock.advance(timedelta(minutes=31).total_seconds())  # each is over a day old now
    await bounds()
    assert len((await engine.store.intake_state(keys)).arrivals) == 3  # the pass runs hourly
    await day.clock.advance(timedelta(minutes=29).total_seconds())
    await bounds()
    assert (await engine.store.intake_state(keys)).arrivals == []
