"""On-call resolution: who is primary, backup and supervisor at an instant."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from schedules.model import ROLES, Role, Shift


@dataclass(frozen=True)
class OnCall:
    at: datetime
    primary: tuple[str, ...] = ()
    backup: tuple[str, ...] = ()
    supervisor: tuple[str, ...] = ()

    def role(self, role: Role) -> tuple[str, ...]:
        return {"primary": self.primary, "backup": self.backup, "supervisor": self.supervisor}[role]

    @property
    def everyone(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for rid in (*self.primary, *self.backup, *self.supervisor):
            seen.setdefault(rid, None)
        return tuple(seen)


@dataclass
class OnCallIndex:
    """Shifts cut into elementary intervals so a lookup is one binary search."""

    shifts: tuple[Shift, ...]
    _bounds: list[datetime] = field(init=False, default_factory=list)
    _slots: list[dict[Role, tuple[str, ...]]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        bounds = sorted({s.start for s in self.shifts} | {s.end for s in self.shifts})
        self._bounds = bounds
        slots: list[dict[Role, list[str]]] = [{r: [] for r in ROLES} for _ in bounds]
        for shift in sorted(self.shifts, key=lambda s: (s.start, s.responder)):
            i = bisect.bisect_left(bounds, shift.start)
            j = bisect.bisect_left(bounds, shift.end)
            for k in range(i, j):
                names = slots[k][shift.role]
                if shift.responder not in names:
                    names.append(shift.responder)
        self._slots = [{r: tuple(v) for r, v in slot.items()} for slot in slots]

    def at(self, when: datetime) -> OnCall:
        k = bisect.bisect_right(self._bounds, when) - 1
        if k < 0 or k >= len(self._slots):
            return OnCall(at=when)
        slot = self._slots[k]
        return OnCall(at=when, primary=slot["primary"], backup=slot["backup"], supervisor=slot["supervisor"])

    def next_change(self, after: datetime) -> datetime | None:
        """The first shift boundary strictly after `after` (when routing must look again)."""
        k = bisect.bisect_right(self._bounds, after)
        return self._bounds[k] if k < len(self._bounds) else None


def on_call(shifts: Iterable[Shift], when: datetime) -> OnCall:
    return OnCallIndex(tuple(shifts)).at(when)
