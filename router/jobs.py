"""Calendar-like jobs on the one instance holding the leader lock: shift reminders, gap alerts,
shifts starting with nobody present. Never escalation deadlines: those are store timers."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from router.engine import Engine
from schedules import check_coverage

log = structlog.get_logger("router.jobs")

LEADER_TTL_S = 15.0
# The retention purge is idempotent and cheap when nothing is due, and its periods are days: the
# leader runs it at its first minute's tick and hourly after. A 24-hour interval counted from each start
# (as it was) never ran on instances restarted more often than that (a daily deploy), keeping
# personal data, report free text and access audit past their periods.
RETAIN_EVERY = timedelta(hours=1)
# A job that starts late still runs (grace) and a backlog runs once (coalesce): APScheduler
# otherwise drops a job that misses its time by more than one second.
JOB_DEFAULTS = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}


@dataclass
class Jobs:
    engine: Engine
    remind_before: timedelta = timedelta(minutes=30)
    lookahead: timedelta = timedelta(hours=24)
    owner: str = field(default_factory=lambda: secrets.token_hex(8))
    leader: bool = False
    scheduler: AsyncIOScheduler | None = None
    # The retention purge (router/ledger/retention.py), run by the leader only.
    retention: Callable[[], Awaitable[object]] | None = None
    retained_at: datetime | None = None

    def start(self) -> None:
        sched = AsyncIOScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
        sched.add_job(self.lead, "interval", seconds=5, id="leader", next_run_time=self.engine.clock.now())
        sched.add_job(self.tick, "interval", seconds=60, id="calendar")
        sched.start()
        self.scheduler = sched

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    async def lead(self) -> None:
        was = self.leader
        self.leader = await self.engine.store.acquire_leader(self.owner, LEADER_TTL_S)
        if self.leader and not was:
            log.info("leader", owner=self.owner)
            # Not the purge: the minute's tick runs it, so taking the lead (at start) stays quick
            # and a stop right after cancels no purge under way.
            await self.tick(purge=False)

    async def tick(self, purge: bool = True) -> None:
        if not self.leader:
            return
        now = self.engine.clock.now()
        await self.remind_shifts(now)
        await self.alert_gaps(now)
        await self.check_presence(now)
        if purge:
            await self.retain(now)

    async def retain(self, now: datetime) -> bool:
        """The retention purge, when this leader has not run it in the last hour."""
        if self.retention is None or (self.retained_at is not None and now - self.retained_at < RETAIN_EVERY):
            return False
        self.retained_at = now
        await self.retention()
        return True

    async def remind_shifts(self, now: datetime) -> int:
        """Each responder is told once, `remind_before` ahead, that their shift is starting."""
        version = await self.engine.store.latest_version()
        if version is None:
            return 0
        sent = 0
        for shift in version.shifts:
            if not now < shift.start <= now + self.remind_before:
                continue
            mark = f"remind:{shift.responder}:{shift.role}:{shift.start.isoformat()}"
            if not await self.engine.store.mark_once(mark, self.remind_before.total_seconds() * 2):
                continue
            responder = await self.engine.store.get_responder(shift.responder)
            if responder is None:
                continue
            local = shift.start.astimezone(ZoneInfo(version.timezone))
            await self.engine.notifier.notice(
                responder, f"Reminder: your {shift.role} shift starts at {local:%a %H:%M %Z}."
            )
            sent += 1
        return sent

    async def alert_gaps(self, now: datetime) -> int:
        """Supervisors on call hear, once per gap, that coverage has a hole within the look-ahead."""
        version = await self.engine.store.latest_version()
        if version is None:
            return 0
        coverage = check_coverage(version.shifts, now, now + self.lookahead)
        alerts = 0
        for role, found in (("primary", coverage.primary_gaps), ("backup", coverage.backup_gaps)):
            for gap in found:
                mark = f"gap:{version.version}:{role}:{gap.start.isoformat()}"
                if not await self.engine.store.mark_once(mark, self.lookahead.total_seconds()):
                    continue
                alerts += 1
                log.warning(
                    "coverage_gap_ahead",
                    role=role,
                    start=gap.start.isoformat(),
                    end=gap.end.isoformat(),
                    seconds=gap.seconds,
                    roster_version=version.version,
                )
                await self._tell_supervisors(
                    now, f"Coverage gap: no {role} on call {gap.start:%a %H:%M} to {gap.end:%H:%M} UTC."
                )
        return alerts

    async def check_presence(self, now: datetime) -> bool:
        """A shift has started and nobody on it is present: tell the supervisors (every 15 min)."""
        oncall, version = await self.engine.rosters.on_call(now)
        if not oncall.primary:
            return False
        presence = await self.engine.store.presence()
        if any(presence.get(rid) == "available" for rid in oncall.primary):
            return False
        if not await self.engine.store.mark_once(f"absent:{version}:{now:%Y%m%d%H}{now.minute // 15}", 900):
            return False
        log.warning("nobody_present", roster_version=version, primary=list(oncall.primary))
        await self._tell_supervisors(now, "The primary on call is not present: nobody can take contacts.")
        return True

    async def _tell_supervisors(self, now: datetime, text: str) -> None:
        oncall, _ = await self.engine.rosters.on_call(now)
        for rid in oncall.supervisor:
            responder = await self.engine.store.get_responder(rid)
            if responder is not None:
                await self.engine.notifier.notice(responder, text)
