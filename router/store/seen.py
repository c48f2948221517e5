"""What this process's own writes tell it about the dispatch state, without reading it again.

Every transition that moves loads or idle times bumps the dispatch number once, in the same
atomic script, and nothing else touches loads or idle times: so the state at number n is the
state at n - 1 with that transition's changes (a `Step`). A state held since a read is carried
forward through such steps — this process's own, as their replies arrive (here), and anyone's,
as the store keeps them (read_view.lua) — instead of being read and parsed whole again. A
presence or a responder written bumps the number with no step: a gap, and the next read is whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import orjson

from router.clock import from_ms, to_ms
from router.store.shapes import DispatchState, LoadChange

# Steps remembered, by this process and by the store: enough for every write in flight at once
# on a busy hotline; a reader further behind reads the state whole.
STEPS_KEPT = 256


@dataclass(frozen=True)
class Step:
    """One transition's changes to loads and idle times, which left the state at `number`."""

    number: int
    responders: str  # the responders' part of the version, which a transition never moves
    loads: tuple[tuple[str, str, int], ...]  # (responder, channel, delta)
    idle: tuple[tuple[str, int], ...]  # (responder, last routed, epoch ms)


Changes = tuple[tuple[tuple[str, str, int], ...], tuple[tuple[str, int], ...]]


def changes(loads: list[LoadChange], idle: dict[str, datetime]) -> Changes:
    """A transition's loads and idle times in a step's form."""
    return tuple((c.responder, c.channel, c.delta) for c in loads), tuple(
        (r, to_ms(at)) for r, at in idle.items()
    )


def step_record(loads: list[LoadChange], idle: dict[str, datetime]) -> str:
    """A transition's changes as transition.lua keeps them beside the number it bumps."""
    return orjson.dumps(changes(loads, idle)).decode()


def parse_step(number: int, responders: str, record: str) -> Step:
    loads, idle = orjson.loads(record)
    return Step(
        number, responders, tuple((r, c, int(d)) for r, c, d in loads), tuple((r, int(m)) for r, m in idle)
    )


def advance(state: DispatchState, steps: Iterable[Step], version: str) -> DispatchState:
    """`state` with `steps` applied in order, as transition.lua applied them (a load at or below
    zero is gone; idle times at the store's millisecond), now at `version`. Its age stays that
    of the read it was carried from."""
    loads, idle = dict(state.loads), dict(state.idle)
    for step in steps:
        for rid, channel, delta in step.loads:
            key = (rid, channel)
            held = loads.get(key, 0) + delta
            if held > 0:
                loads[key] = held
            else:
                loads.pop(key, None)
        for rid, ms in step.idle:
            idle[rid] = from_ms(float(ms))
    return replace(state, loads=loads, idle=idle, version=version)


@dataclass
class StateSeen:
    """The dispatch state's version and the roster head as the newest of this process's writes
    found them. Each part is the highest seen, since replies to writes on several connections
    arrive in any order (every part only ever grows in the store)."""

    dispatch: int = -1
    responders: int = -1
    roster_head: int = -1
    # Writes by this process that change what dispatch reads without telling the version they
    # left (a responder, a presence, a roster published): a state read before one completed is
    # not this state, whatever its version says.
    moves: int = 0
    steps: dict[int, Step] = field(default_factory=dict)

    def saw(self, version: str, roster_head: int) -> None:
        dispatch, _, responders = version.partition("/")
        self.saw_parts(int(dispatch), int(responders), roster_head)

    def saw_parts(self, dispatch: int, responders: int, roster_head: int) -> None:
        """`saw` of a version given as its numbers (the embedded store's own, after every write)."""
        if dispatch > self.dispatch:
            self.dispatch = dispatch
        if responders > self.responders:
            self.responders = responders
        if roster_head > self.roster_head:
            self.roster_head = roster_head

    def stepped(self, version: str, loads: list[LoadChange], idle: dict[str, datetime]) -> None:
        """A write of this process changed loads or idle times and left the state at `version`."""
        number, _, responders = version.partition("/")
        self.steps[int(number)] = Step(int(number), responders, *changes(loads, idle))
        if len(self.steps) > STEPS_KEPT:
            del self.steps[next(iter(self.steps))]

    def carry(self, state: DispatchState) -> DispatchState:
        """`state` carried through this process's steps that follow it with no gap; `state`
        itself when none follows it."""
        number, _, responders = state.version.partition("/")
        if not number:
            return state
        steps: list[Step] = []
        step = self.steps.get(int(number) + 1)
        while step is not None and step.responders == responders:
            steps.append(step)
            step = self.steps.get(step.number + 1)
        if not steps:
            return state
        return advance(state, steps, f"{steps[-1].number}/{responders}")

    def moved(self) -> None:
        self.moves += 1

    def is_state(self, version: str, roster_head: int) -> bool:
        """Whether the newest write found the state at `version` with this roster head."""
        return roster_head == self.roster_head and version == f"{self.dispatch}/{self.responders}"
