"""Roster drafts, publishing and the on-call view the dispatcher routes by."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import structlog

from router.clock import Clock
from router.errors import Invalid, InvalidState, NotFound
from router.notify import Notifier
from router.store import Conflict, Store
from schedules import (
    Coverage,
    CoverageReport,
    OnCall,
    OnCallIndex,
    ResponderProfile,
    Roster,
    RosterDiff,
    RosterVersion,
    Shift,
    check_coverage,
    diff,
    roster_report,
)

log = structlog.get_logger("router.rosters")


def outside(shifts: Iterable[Shift], start: datetime, end: datetime) -> list[Shift]:
    """The parts of `shifts` that lie outside [start, end)."""
    kept = []
    for s in shifts:
        if s.start < start:
            kept.append(s.model_copy(update={"end": min(s.end, start)}))
        if s.end > end:
            kept.append(s.model_copy(update={"start": max(s.start, end)}))
    return kept


class Rosters:
    """Publishes immutable roster versions and answers `who is on call at t` from the newest.

    Each version is the whole timeline: the draft's expansion inside the published window,
    and the previous version's shifts outside it, so publishing next week keeps this week.
    """

    def __init__(
        self, store: Store, clock: Clock, notifier: Callable[[], Notifier | None] = lambda: None
    ) -> None:
        self.store = store
        self.clock = clock
        # Asked each time: a channel may replace the engine's notifier after start-up.
        self.notifier = notifier
        self._index: OnCallIndex | None = None
        self._index_version = -1

    async def profiles(self) -> dict[str, ResponderProfile]:
        return {
            r.id: ResponderProfile(languages=r.languages, skills=r.skills)
            for r in await self.store.list_responders()
        }

    async def check(self, roster: Roster, start: datetime, end: datetime) -> tuple[Coverage, CoverageReport]:
        profiles = await self.profiles()
        languages = sorted({lang for p in profiles.values() for lang in p.languages})
        skills = sorted({skill for p in profiles.values() for skill in p.skills})
        try:
            report = roster_report(roster, start, end, profiles=profiles, languages=languages, skills=skills)
            shifts = roster.expand(start, end)
        except ValueError as exc:
            raise Invalid("roster", str(exc)) from exc
        return check_coverage(shifts, start, end), report

    async def put_draft(
        self, name: str, roster: Roster, start: datetime, end: datetime
    ) -> tuple[Coverage, CoverageReport]:
        checked = await self.check(roster, start, end)
        await self.store.put_draft(name, roster)
        return checked

    async def publish(
        self, name: str, start: datetime, end: datetime, force: bool, by: str, reason: str | None = None
    ) -> tuple[RosterVersion, Coverage, RosterDiff]:
        draft = await self.store.get_draft(name)
        if draft is None:
            raise NotFound(f"no draft roster named {name!r}: PUT /v1/rosters/{name} first")
        coverage, _ = await self.check(draft, start, end)
        if coverage.primary_gaps and not force:
            first = coverage.primary_gaps[0]
            raise InvalidState(
                f"the draft leaves {len(coverage.primary_gaps)} primary gap(s) in the window, "
                f"the first {first.start.isoformat()} to {first.end.isoformat()}: "
                "fill them, or publish with force=true and a reason",
                {"coverage": coverage.model_dump(mode="json")},
            )
        fresh = draft.expand(start, end)
        for _ in range(10):
            previous = await self.store.latest_version()
            before = list(previous.shifts) if previous else []
            shifts = sorted(
                [*outside(before, start, end), *fresh], key=lambda s: (s.start, s.role, s.responder)
            )
            version = RosterVersion(
                name=name,
                version=(previous.version if previous else 0) + 1,
                timezone=draft.timezone,
                shifts=tuple(shifts),
                window_start=start,
                window_end=end,
                published_at=self.clock.now(),
                published_by=by,
                forced=bool(force and coverage.primary_gaps),
                reason=reason,
            )
            try:
                await self.store.publish(version)
            except Conflict:
                continue
            changes = diff(before, shifts)
            log.info(
                "roster_published",
                roster=name,
                version=version.version,
                forced=version.forced,
                affected=len(changes.affected),
                primary_gap_s=coverage.primary_gap_s,
            )
            await self._tell(changes, draft.timezone, version.version)
            return version, coverage, changes
        raise InvalidState("another publish is in progress; try again")

    async def _tell(self, changes: RosterDiff, timezone: str, version: int) -> None:
        """Each responder whose shifts changed hears exactly what changed for them."""
        notifier = self.notifier()
        if notifier is None:
            return
        for rid in changes.affected:
            responder = await self.store.get_responder(rid)
            if responder is None:
                continue
            lines = changes.changes[rid].describe(timezone)
            try:
                await notifier.notice(responder, f"Roster v{version}: " + "; ".join(lines))
            except Exception:  # a notice that cannot be delivered never undoes a publish
                log.error("roster_notice_failed", responder=rid)

    async def current(self, head: int | None = None) -> tuple[OnCallIndex | None, int | None]:
        """The on-call index of the newest version (`head`, when the caller has just read it)."""
        if head is None:
            head = await self.store.head_version()
        if head == 0:
            return None, None
        if head != self._index_version:
            version = await self.store.get_version(head)
            if version is None:
                return None, None
            self._index = OnCallIndex(version.shifts)
            self._index_version = head
        return self._index, head

    async def on_call(self, at: datetime, head: int | None = None) -> tuple[OnCall, int | None]:
        index, version = await self.current(head)
        if index is None:
            return OnCall(at=at), None
        return index.at(at), version

    async def next_change(self, after: datetime) -> datetime | None:
        index, _ = await self.current()
        return index.next_change(after) if index else None
