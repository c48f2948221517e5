"""The event loop: scenario events and the engine's own timers, interleaved on one virtual clock."""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from router.clock import VirtualClock, from_ms, to_ms
from router.errors import InvalidState, NotFound
from router.keyring import Keyring
from router.metrics import UnrecordedMetrics
from router.models import Contact, ContactIn, ContactStatus, Offer, Responder
from router.notify import Notifier, Page
from router.store import MemoryStore
from router.timers import TimerRunner
from router.trusted_records import trusted
from schedules import Roster, Shift
from simulations.quiet import quiet_router_logs as quiet_router_logs  # re-exported: its old home
from simulations.report import Tally
from simulations.scenario import Scenario
from simulations.sim_engine import SimEngine
from simulations.utilisation import Utilisation

Progress = Callable[[float, int], None]
# Call the progress callback every this many loop steps: often enough to look alive, rarely
# enough to cost nothing.
PROGRESS_EVERY = 2000

# Scenario event kinds, in the order they are handled when due at the same instant.
ARRIVE, REACT, ANSWER, CLOSE, ABANDON = range(5)
MS = timedelta(milliseconds=1)


class _SimNotifier(Notifier):
    """The responders' phones: an offer becomes a future reaction in the simulation's heap."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.pages = 0
        # When each page went out (pages are rare): a segment of a longer run counts only
        # its own stretch of time (simulations/segments.py).
        self.paged_at: list[datetime] = []
        self.error: BaseException | None = None

    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        try:
            self.sim.on_offer(offer)
        except Exception as exc:
            # The engine swallows notifier failures (right for real phones); a simulation
            # must not silently lose a responder's reaction, so the loop re-raises it.
            self.error = exc
            raise

    async def page(self, page: Page) -> None:
        self.pages += 1
        self.paged_at.append(self.sim.clock.now())


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block: a run (`Simulation.run`), and work done beside a
    finished run's store, which the collector would walk whole (filing a run's events into a
    ledger allocates enough to set off full collections: two, 1.52 s, while filing a 30-day
    busy-hotline segment in 7.4 s). What the block leaves is collected at the next run's start,
    or at the next collection. A process that keeps its own objects out of the collector's
    sight (`serve`) is left as it is."""
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def counter_ids(first: int = 1) -> Callable[[str], str]:
    """Deterministic ids, so two runs with one seed match event for event. Segments of one run
    start at different `first`s, so their contacts can share one ledger."""
    seq = itertools.count(first)
    return lambda prefix: f"{prefix}_{next(seq):09d}"


@dataclass
class Simulation:
    """One run of a scenario. `roster(start, end)` replaces the scenario's roster (the staffing
    planner's candidate rosters)."""

    scenario: Scenario
    days: float | None = None
    seed: int | None = None
    roster: Callable[[datetime, datetime], list[Shift]] | None = None
    progress: Progress | None = None
    tally: Tally = field(default_factory=Tally)
    first_id: int = 1

    def __post_init__(self) -> None:
        sc = self.scenario
        seed = sc.seed if self.seed is None else self.seed
        self.seed_used = seed
        self.t0 = sc.start.replace(microsecond=sc.start.microsecond // 1000 * 1000)
        self.w0 = self.t0 + timedelta(seconds=sc.warmup)
        self.w1 = self.w0 + timedelta(days=self.days if self.days is not None else sc.days)
        self.stop_at = self.w1 + timedelta(seconds=sc.drain)
        self.clock = VirtualClock(self.t0)
        self.store = MemoryStore()
        self.notifier = _SimNotifier(self)
        self.engine = SimEngine(
            self.store,
            self.clock,
            sc.protocol,
            notifier=self.notifier,
            metrics=UnrecordedMetrics(),
            id_factory=counter_ids(self.first_id),
            # A simulation's store starts empty: no sender hash of an earlier release to look up.
            keyring=Keyring(legacy=False),
        )
        self.engine.listeners.append(self.tally)
        self.timers = TimerRunner(self.engine)
        # Separate streams, so that changing the staffing does not change who calls when
        # or how long each call lasts (common random numbers make comparisons sharper).
        self.rng_arrivals = {ch: random.Random(f"{seed}:arrivals:{ch}") for ch in sc.arrivals}
        self._rates: dict[str, dict[int, float]] = {}  # channel -> quarter hour -> rate per second
        self.rng_contact = random.Random(f"{seed}:contact")
        self.rng_behaviour = random.Random(f"{seed}:behaviour")
        self._heap: list[tuple[int, int, int, str, str]] = []
        self._seq = itertools.count()
        self._handle: dict[str, float] = {}
        self._answered: set[str] = set()
        self._holder: dict[str, str] = {}
        self.open: set[str] = set()
        self.arrivals = 0
        self.disposition = sc.protocol.dispositions[0]
        self.roster_shifts = (self.roster or sc.shifts)(self.t0, self.stop_at)
        self.utilisation = Utilisation(self.t0, self.w0, self.w1, sc.hour_of_week, self.roster_shifts)

    # -- time -------------------------------------------------------------------
    # Scenario events happen on whole milliseconds, the resolution of the store's timers: a
    # decline at a sub-millisecond instant would arm a redispatch that rounds to "due now" but
    # finds its cooldown not yet over, re-arming itself forever on a clock that stands still.
    def _ms(self, at: datetime) -> int:
        return round((at - self.t0) / MS)

    def _at(self, ms: int) -> datetime:
        return self.t0 + ms * MS

    def _push(self, s: float, kind: int, a: str = "", b: str = "") -> None:
        heapq.heappush(self._heap, (round(s * 1000), kind, next(self._seq), a, b))

    def now_s(self) -> float:
        return (self.clock.now() - self.t0).total_seconds()

    # -- arrivals -------------------------------------------------------------------
    def _next_arrival(self, channel: str, after: float) -> float | None:
        """Poisson arrivals at a rate that is constant within each hour: draw against the
        current hour's rate and, past its end, start afresh (the process is memoryless)."""
        rng = self.rng_arrivals[channel]  # type: ignore[index]
        end = (self.w1 - self.t0).total_seconds()
        base = self.t0.timestamp()
        rates = self._rates.setdefault(channel, {})
        t0_us = to_ms(self.t0) * 1000  # t0 is a whole millisecond
        t = after
        while t < end:
            # The rate changes on the clock's hours (UTC hours: a zone offset by half an hour
            # has its profile shifted by those 30 minutes).
            hour_end = ((base + t) // 3600 + 1) * 3600 - base
            # The local hour of the week is the same all through a quarter of an hour (every
            # zone's offset, and every change of it, falls on one): worked out once per quarter
            # of the instant as `timedelta(seconds=t)` rounds it, to the microsecond.
            quarter = (t0_us + round(t * 1_000_000)) // 900_000_000
            rate = rates.get(quarter)
            if rate is None:
                how = self.scenario.hour_of_week(self.t0 + timedelta(seconds=t))
                rate = rates[quarter] = self.scenario.rate_per_hour(channel, how) / 3600
            if rate > 0:
                t_next = t + rng.expovariate(rate)
                if t_next < hour_end:
                    return t_next if t_next < end else None
            t = hour_end
        return None

    # -- responders ------------------------------------------------------------------
    def on_offer(self, offer: Offer) -> None:
        b = self.scenario.behaviour
        rng = self.rng_behaviour
        if rng.random() < b.no_answer:
            return  # the phone rings out; the engine's offer timer moves the contact on
        react = b.react.sample(rng)
        accepts = rng.random() < b.accept
        self._push(self.now_s() + react, REACT, offer.id, "accept" if accepts else "decline")

    async def _react(self, offer_id: str, verdict: str) -> None:
        try:
            if verdict == "decline":
                await self.engine.decline(offer_id)
                return
            contact = await self.engine.accept(offer_id)
        except (InvalidState, NotFound):
            return  # too late: the offer expired or the person left while the phone rang
        assert contact.responder is not None
        earlier = self._holder.get(contact.id)
        if earlier is not None:
            # Released from an earlier responder (answer timeout) before their answer came due.
            self.utilisation.release(earlier, self.clock.now())
        self._holder[contact.id] = contact.responder
        self.utilisation.take(contact.responder, self.clock.now())
        delay = self.scenario.behaviour.answer_delay.sample(self.rng_behaviour)
        self._push(self.now_s() + delay, ANSWER, contact.id, contact.responder)

    async def _answer(self, cid: str, rid: str) -> None:
        current = await self.engine.get_contact(cid)
        if current.status != ContactStatus.assigned or current.responder != rid:
            # The engine released it from this responder meanwhile (their answer timeout ran
            # out): their late answer connects nobody. Without this a contact could be answered
            # by the wrong responder, and later closed twice.
            if self._holder.get(cid) == rid:
                del self._holder[cid]
                self.utilisation.release(rid, self.clock.now())
            return
        try:
            if self._channel(cid) == "voice":
                await self.engine.answered(cid)
            else:
                await self.engine.send_message(cid, "Hello, you are through to the hotline.", rid)
        except InvalidState:
            return
        self._answered.add(cid)
        handle = self._handle.pop(cid, None)
        if handle is None:
            # A contact the engine made itself (a callback after an abandoned one): it has
            # the handle time of its channel, drawn now.
            dist = self.scenario.handle.get(self._channel(cid))  # type: ignore[call-overload]
            handle = dist.sample(self.rng_contact) if dist is not None else 0.0
        self.open.add(cid)
        self._push(self.now_s() + handle, CLOSE, cid, rid)

    def _channel(self, cid: str) -> str:
        return self.tally.records[cid].channel

    def _release(self, cid: str) -> None:
        self.open.discard(cid)
        rid = self._holder.pop(cid, None)
        if rid is not None:
            self.utilisation.release(rid, self.clock.now())

    # -- the loop --------------------------------------------------------------------------
    async def _setup(self) -> None:
        sc = self.scenario
        tmpl = sc.responders
        for rid in sorted({s.responder for s in self.roster_shifts}):
            await self.engine.put_responder(
                Responder(
                    id=rid,
                    name=rid,
                    languages=list(tmpl.languages),
                    channels=list(tmpl.channels),
                    capacity=dict(tmpl.capacity),
                )
            )
        roster = Roster(timezone=sc.timezone, shifts=self.roster_shifts)
        await self.engine.rosters.put_draft("sim", roster, self.t0, self.stop_at)
        await self.engine.rosters.publish("sim", self.t0, self.stop_at, force=True, by="simulation")
        await self.engine.arm_shift_change()
        for ch in sc.arrivals:
            first = self._next_arrival(ch, 0.0)
            if first is not None:
                self._push(first, ARRIVE, ch)

    async def _arrive(self, channel: str) -> None:
        sc = self.scenario
        handle = sc.handle[channel].sample(self.rng_contact)  # type: ignore[index]
        patience = sc.patience.get(channel)  # type: ignore[call-overload]
        give_up = patience.sample(self.rng_contact) if patience is not None else None
        self.arrivals += 1
        # The simulator's own values (a known channel, a short made-up address): built as
        # validation would build them, without its cost.
        contact = await self.engine.intake(trusted(ContactIn, channel=channel, sender=f"sim-{self.arrivals}"))
        self._handle[contact.id] = handle
        self.open.add(contact.id)
        if give_up is not None:
            self._push(self.now_s() + give_up, ABANDON, contact.id)
        nxt = self._next_arrival(channel, self.now_s())
        if nxt is not None:
            self._push(nxt, ARRIVE, channel)

    async def _handle_event(self, kind: int, a: str, b: str) -> None:
        if kind == ARRIVE:
            await self._arrive(a)
        elif kind == REACT:
            await self._react(a, b)
        elif kind == ANSWER:
            await self._answer(a, b)
        elif kind == CLOSE:
            await self.engine.close(a, self.disposition, None, b)
            self._release(a)
        elif kind == ABANDON and a not in self._answered and a in self.open:
            try:
                await self.engine.abandon(a)
            except InvalidState:
                return
            self._handle.pop(a, None)
            self._release(a)

    async def run(self) -> Simulation:
        # No cyclic collection while a simulation runs: it allocates millions of records that
        # the store keeps to the end, and each collection walks them again (~23% of the CPU at
        # the default thresholds, ~12% at a first threshold of 50,000). A run itself leaves no
        # cyclic garbage (gc.collect() after 20,000 busy-hotline contacts with the collector off
        # found none); what an earlier run left (a Simulation is a cycle with its notifier) is
        # collected first, while the heap holds little else.
        if gc.get_freeze_count():
            # The process keeps objects out of the collector's sight itself (`serve` freezes
            # what start-up built): the unfreeze below would hand them back. Left as it is.
            return await self._run()
        gc.collect()
        with collector_paused():
            try:
                return await self._run()
            finally:
                # Everything the run made goes straight to the oldest generation: re-enabled as
                # it was, the collector would otherwise walk all of it (~0.5 s at 10,000
                # contacts, a third of a short run) at its next young collection. It is walked,
                # and anything dead freed, at the next full collection or the next run's start.
                gc.freeze()
                gc.unfreeze()

    async def _run(self) -> Simulation:
        await self._setup()
        stop = self._ms(self.stop_at)
        span = (self.w1 - self.t0).total_seconds()
        steps = 0
        # The store keeps timers in epoch milliseconds and t0 is a whole millisecond: the next
        # timer's offset from t0 is found without building a datetime before every event.
        t0_ms = to_ms(self.t0)
        while True:
            due_ms = self.store.next_due_ms()
            t_event = self._heap[0][0] if self._heap else None
            if t_event is None and (not self.open or due_ms is None):
                break  # arrivals are over and every contact has ended (or nothing can move)
            if due_ms is not None and (t_event is None or due_ms - t0_ms <= t_event):
                if due_ms - t0_ms > stop:
                    break
                # Timers are kept to the millisecond: one may round to just before now.
                self.clock.set(max(self.clock.now(), from_ms(due_ms)))
                await self.timers.fire_due()
            else:
                assert t_event is not None
                if t_event > stop:
                    break
                s, kind, _, a, b = heapq.heappop(self._heap)
                self.clock.set(max(self.clock.now(), self._at(s)))
                await self._handle_event(kind, a, b)
            if self.notifier.error is not None:
                raise self.notifier.error
            steps += 1
            if self.progress is not None and steps % PROGRESS_EVERY == 0:
                self.progress(min(1.0, self.now_s() / span), self.arrivals)
        self.end = self.clock.now()
        self.utilisation.finish(self.end)
        if self.progress is not None:
            self.progress(1.0, self.arrivals)
        return self
