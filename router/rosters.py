"""Roster drafts, publishing and the on-call view the dispatcher routes by."""

from __future__ import annotations

from datetime import datetime

from router.clock import Clock
from router.errors import InvalidState, NotFound
from router.store import Conflict, Store
from schedules import Coverage, OnCall, OnCallIndex, Roster, RosterVersion, check_coverage


class Rosters:
    """Publishes immutable roster versions and answers `who is on call at t` from the newest."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._index: OnCallIndex | None = None
        self._index_version = -1

    async def put_draft(self, name: str, roster: Roster, start: datetime, end: datetime) -> Coverage:
        await self.store.put_draft(name, roster)
        return check_coverage(roster.shifts, start, end)

    async def publish(
        self,
        name: str,
        start: datetime,
        end: datetime,
        force: bool,
        by: str,
        reason: str | None = None,
    ) -> tuple[RosterVersion, Coverage]:
        draft = await self.store.get_draft(name)
        if draft is None:
            raise NotFound(f"no draft roster named {name!r}: PUT /v1/rosters/{name} first")
        coverage = check_coverage(draft.shifts, start, end)
        if coverage.primary_gaps and not force:
            first = coverage.primary_gaps[0]
            raise InvalidState(
                f"the draft leaves {len(coverage.primary_gaps)} primary gap(s) in the window, "
                f"the first {first.start.isoformat()} to {first.end.isoformat()}: "
                "fill them, or publish with force=true",
                {"coverage": coverage.model_dump(mode="json")},
            )
        for _ in range(10):
            head = await self.store.head_version()
            version = RosterVersion(
                name=name,
                version=head + 1,
                timezone=draft.timezone,
                shifts=tuple(draft.shifts),
                window_start=start,
                window_end=end,
                published_at=self.clock.now(),
                published_by=by,
                forced=bool(force and coverage.primary_gaps),
                reason=reason,
            )
            try:
                await self.store.publish(version)
                return version, coverage
            except Conflict:
                continue
        raise InvalidState("another publish is in progress; try again")

    async def current(self) -> tuple[OnCallIndex | None, int | None]:
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

    async def on_call(self, at: datetime) -> tuple[OnCall, int | None]:
        index, version = await self.current()
        if index is None:
            return OnCall(at=at), None
        return index.at(at), version

    async def next_change(self, after: datetime) -> datetime | None:
        index, _ = await self.current()
        return index.next_change(after) if index else None
