"""On-call resolution: who is primary, backup and supervisor at an instant."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schedules.shift import ROLES, Role, Shift

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Names = tuple[str, ...]
Slot = tuple[Names, Names, Names]
_EMPTY: Slot = ((), (), ())


def _seconds(when: datetime) -> float:
    """Epoch seconds: exact to the microsecond until 2106, and the same float for the same instant."""
    if when.tzinfo is None:
        raise ValueError("on-call lookups need a time zone aware instant, got a naive one")
    return when.timestamp()


@dataclass(frozen=True, slots=True)
class OnCall:
    at: datetime
    primary: Names = ()
    backup: Names = ()
    supervisor: Names = ()

    # `everyone`, worked out on first use: dispatch asks for it on every pass.
    _everyone: Names | None = field(default=None, init=False, repr=False, compare=False)

    def role(self, role: Role) -> Names:
        # Asked for each role on every dispatch decision: no dict built per call.
        if role == "primary":
            return self.primary
        if role == "backup":
            return self.backup
        if role == "supervisor":
            return self.supervisor
        raise KeyError(role)

    @property
    def everyone(self) -> Names:
        found = self._everyone
        if found is None:
            found = tuple(dict.fromkeys((*self.primary, *self.backup, *self.supervisor)))
            object.__setattr__(self, "_everyone", found)  # frozen: the one cached field
        return found


class OnCallIndex:
    """Shifts cut into elementary intervals so a lookup is one binary search.

    Boundaries are kept as float epoch seconds in a plain list (the fastest thing `bisect` can
    search), and each interval points at one shared (primary, backup, supervisor) triple: equal
    name tuples and equal triples are stored once, and a boundary where nobody changes is
    dropped. Names within a role are ordered by the start of their earliest covering shift,
    then by id.
    """

    def __init__(self, shifts: Iterable[Shift]) -> None:
        self.shifts: tuple[Shift, ...] = tuple(shifts)
        self._bounds: list[float] = []
        self._slots: list[Slot] = []
        self._everyone: list[Names] = []  # per slot: dispatch asks each lookup for it
        self._build()

    def _build(self) -> None:
        events: dict[float, list[tuple[int, int]]] = defaultdict(list)
        keys: list[tuple[float, str, int]] = []
        ordered = sorted(self.shifts, key=lambda s: (s.start, s.responder))
        for seq, s in enumerate(ordered):
            start, end = _seconds(s.start), _seconds(s.end)
            keys.append((start, s.responder, seq))
            events[start].append((+1, seq))
            events[end].append((-1, seq))
        role_of = [ROLES.index(s.role) for s in ordered]
        active: list[list[tuple[float, str, int]]] = [[], [], []]
        names_pool: dict[Names, Names] = {(): ()}
        slot_pool: dict[Slot, Slot] = {_EMPTY: _EMPTY}
        current: list[Names] = [(), (), ()]
        previous = _EMPTY
        for tick in sorted(events):
            touched: set[int] = set()
            for sign, seq in events[tick]:
                r = role_of[seq]
                touched.add(r)
                if sign > 0:
                    bisect.insort(active[r], keys[seq])
                else:
                    del active[r][bisect.bisect_left(active[r], keys[seq])]
            for r in touched:
                names = tuple(dict.fromkeys(k[1] for k in active[r]))
                current[r] = names_pool.setdefault(names, names)
            slot: Slot = (current[0], current[1], current[2])
            slot = slot_pool.setdefault(slot, slot)
            if slot is previous:
                continue  # nobody changed here: routing has nothing to look at again
            self._bounds.append(tick)
            self._slots.append(slot)
            self._everyone.append(tuple(dict.fromkeys((*slot[0], *slot[1], *slot[2]))))
            previous = slot

    @property
    def intervals(self) -> int:
        return len(self._slots)

    def at(self, when: datetime) -> OnCall:
        k = bisect.bisect_right(self._bounds, _seconds(when)) - 1
        if k < 0:
            return OnCall(when)
        found = OnCall(when, *self._slots[k])
        object.__setattr__(found, "_everyone", self._everyone[k])  # as `everyone` would work it out
        return found

    def next_change(self, after: datetime) -> datetime | None:
        """The first instant strictly after `after` when someone comes on or goes off call."""
        k = bisect.bisect_right(self._bounds, _seconds(after))
        if k == len(self._bounds):
            return None
        return _EPOCH + timedelta(microseconds=round(self._bounds[k] * 1_000_000))


def on_call(shifts: Iterable[Shift], when: datetime) -> OnCall:
    return OnCallIndex(shifts).at(when)
