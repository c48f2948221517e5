"""What a run measured over its window, as plain data: one `Simulation`'s, or its segments' added up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulations.report import ContactRecord
from simulations.runner import Simulation
from simulations.scenario import Scenario
from simulations.utilisation import BusyTime


@dataclass
class Part:
    """One run's contacts received in its window, and when that run stopped: a contact it left
    waiting had waited until then (a later segment's end says nothing about it)."""

    end: datetime
    records: list[ContactRecord]


@dataclass
class Measured:
    """Everything `results` and the staffing planner read, without the engine that made it."""

    scenario: Scenario
    seed: int
    w0: datetime
    w1: datetime
    end: datetime
    parts: list[Part]
    pages: int
    utilisation: BusyTime
    segments: int = 1
    timers_fired: int = 0
    arrivals: int = 0

    @classmethod
    def of(cls, sim: Simulation) -> Measured:
        """A whole `Simulation`'s figures, exactly as it reports them."""
        return cls(
            scenario=sim.scenario,
            seed=sim.seed_used,
            w0=sim.w0,
            w1=sim.w1,
            end=sim.end,
            parts=[Part(sim.end, sim.tally.window(sim.w0, sim.w1))],
            pages=sim.notifier.pages,
            utilisation=sim.utilisation.sums(),
            timers_fired=sim.timers.fired,
            arrivals=sim.arrivals,
        )

    @property
    def records(self) -> list[ContactRecord]:
        """Contacts received in the window, in arrival order (segments are consecutive)."""
        if len(self.parts) == 1:
            return self.parts[0].records
        return [r for part in self.parts for r in part.records]

    def waited(self) -> list[float]:
        """Each contact's wait (ContactRecord.waited), in the order of `records`."""
        return [r.waited(part.end) for part in self.parts for r in part.records]
