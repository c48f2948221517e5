"""Calendar-like jobs: reminders, gap alerts and absent-primary alerts, once each, on the leader."""

from __future__ import annotations

from datetime import timedelta

from router.clock import VirtualClock
from router.engine import Engine
from router.jobs import Jobs
from router.models import Responder
from router.notify import LogNotifier
from router.service import Service
from router.settings import Settings
from router.store import RedisStore
from router.store.connect import connect
from schedules import Roster, Shift
from tests.redis_server import RedisServer


async def publish(engine: Engine, shifts: list[Shift]) -> None:
    now = engine.clock.now()
    for rid in {s.responder for s in shifts}:
        await engine.put_responder(Responder(id=rid, name=rid))
    await engine.rosters.put_draft("main", Roster(shifts=shifts), now, now + timedelta(days=1))
    await engine.rosters.publish("main", now, now + timedelta(days=1), True, "t")
    if isinstance(engine.notifier, LogNotifier):
        engine.notifier.sent.clear()  # the publish told each responder their shifts


async def test_reminder_once_before_the_shift(engine: Engine, clock: VirtualClock) -> None:
    now = clock.now()
    await publish(
        engine,
        [
            Shift(responder="ana", role="primary", start=now, end=now + timedelta(hours=1)),
            Shift(
                responder="ben", role="primary", start=now + timedelta(hours=1), end=now + timedelta(hours=9)
            ),
            Shift(responder="sue", role="supervisor", start=now, end=now + timedelta(hours=9)),
        ],
    )
    jobs = Jobs(engine, leader=True)
    assert await jobs.remind_shifts(now) == 0
    await clock.advance(31 * 60)
    assert await jobs.remind_shifts(clock.now()) == 1
    assert await jobs.remind_shifts(clock.now()) == 0
    notifier = engine.notifier
    assert isinstance(notifier, LogNotifier)
    assert ("notice", "ben", "") in notifier.sent


async def test_gap_alert_once_per_gap(engine: Engine, clock: VirtualClock) -> None:
    now = clock.now()
    await publish(
        engine,
        [
            Shift(responder="ana", role="primary", start=now, end=now + timedelta(hours=2)),
            Shift(
                responder="ana", role="primary", start=now + timedelta(hours=3), end=now + timedelta(days=2)
            ),
            Shift(responder="ben", role="backup", start=now, end=now + timedelta(days=2)),
            Shift(responder="sue", role="supervisor", start=now, end=now + timedelta(days=2)),
        ],
    )
    jobs = Jobs(engine, leader=True)
    assert await jobs.alert_gaps(now) == 1
    assert await jobs.alert_gaps(now) == 0
    assert isinstance(engine.notifier, LogNotifier)
    assert [s for s in engine.notifier.sent if s[0] == "notice"] == [("notice", "sue", "")]


async def test_absent_primary_alert(engine: Engine, clock: VirtualClock) -> None:
    now = clock.now()
    await publish(
        engine,
        [
            Shift(responder="ana", role="primary", start=now, end=now + timedelta(hours=8)),
            Shift(responder="sue", role="supervisor", start=now, end=now + timedelta(hours=8)),
        ],
    )
    jobs = Jobs(engine, leader=True)
    assert await jobs.check_presence(now) is False
    await engine.set_presence("ana", "offline")
    assert await jobs.check_presence(now) is True
    assert await jobs.check_presence(now) is False  # once per quarter hour


async def test_only_the_leader_runs_jobs(engine: Engine) -> None:
    a, b = Jobs(engine, owner="a"), Jobs(engine, owner="b")
    await a.lead()
    await b.lead()
    assert a.leader and not b.leader


async def test_a_stopping_instance_hands_the_jobs_over_at_once(
    clock: VirtualClock, redis_srv: RedisServer
) -> None:
    client = connect(redis_srv.url)
    await client.flushdb()
    settings = Settings(redis_url=redis_srv.url, admin_token="t" * 43, secret_key="k" * 43)
    svc = await Service.create(settings, clock=clock, store=RedisStore(client, "t"))
    await svc.start()
    assert svc.jobs is not None
    await svc.jobs.lead()
    assert svc.jobs.leader
    await svc.stop()
    other = RedisStore(connect(redis_srv.url), "t")
    try:
        # Taken on the next instance's first look, not after the lock's time to live.
        assert await other.acquire_leader("the-next-instance", 30) is True
    finally:
        await other.close()


async def test_the_leader_purges_at_its_first_minute_tick_and_hourly_after(
    engine: Engine, clock: VirtualClock
) -> None:
    """Not a day after each start: instances restarted daily (a deploy) never purged at all."""
    runs: list[object] = []

    async def purge() -> None:
        runs.append(clock.now())

    starting = Jobs(engine, retention=purge)
    await starting.lead()  # taking the lead: the calendar jobs at once, the purge at the minute's tick
    assert starting.leader and runs == []
    for _restart in range(3):  # each new process purges at its first tick, however recently the last ran
        jobs = Jobs(engine, leader=True, retention=purge)
        await jobs.tick()
        await clock.advance(600)
    assert len(runs) == 3
    await jobs.tick()
    assert len(runs) == 3  # 10 minutes after its own purge
    await clock.advance(50 * 60)
    await jobs.tick()
    assert len(runs) == 4  # an hour after
    follower = Jobs(engine, leader=False, retention=purge)
    await follower.tick()
    assert len(runs) == 4
