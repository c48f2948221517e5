"""The timer loop and what each timer does: claim due timers with a lease, fire them (offer
timeouts, callbacks, follow-ups; escalation steps and breaches in router/escalating.py), sleep
until the next is due."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from prometheus_client import Histogram

from protocols import Priority
from router import intake, ladder, waiting
from router import transitions as tr
from router.bursts import BATCHED, BURST_HOLD_S, Bursts
from router.dispatching import QUEUE_PAGE, Prefetched
from router.engine import Engine
from router.models import Contact, OfferStatus
from router.store import Conflict, StoreUnavailable, TimerBatch, Transition
from router.timer_models import Timer, TimerKind

log = structlog.get_logger("router.timers")

LEASE_S = 30.0
# Sleep at most this long even when nothing is due: a safety net for a missed wake-up.
MAX_SLEEP_S = 1.0
# Contacts whose timers fire at the same time (bounded so a burst cannot exhaust connections).
PARALLEL = 32


class TimerRunner(Bursts):
    """Any number of instances run one each; a timer is fired by whichever claims it first,
    and a claim whose instance died expires after LEASE_S so another instance fires it."""

    def __init__(
        self, engine: Engine, lease_s: float = LEASE_S, batch: int = 200, parallel: int = PARALLEL
    ) -> None:
        self.engine = engine
        self.lease_s = lease_s
        self.batch = batch
        self._stopping = asyncio.Event()
        self._parallel = asyncio.Semaphore(parallel)
        self.fired = 0
        self.next_due: datetime | None = None
        self._burst_until = 0.0
        # What the writes of this batch that freed someone read after themselves.
        self._freed: list[Prefetched] = []
        self._lateness: dict[str, Histogram] = {}

    def bursting(self) -> bool:
        """Firing a burst (a full batch claimed within BURST_HOLD_S): work that can wait, waits."""
        return time.monotonic() < self._burst_until

    async def fire_due(self) -> int:
        """Fire everything due now (the one step tests and simulations drive by hand)."""
        total = 0
        ahead: TimerBatch | None = None  # claimed by a burst's overlapped batches, not yet fired
        while True:
            now = self.engine.clock.now()
            self._freed.clear()  # only this batch's own writes may hand their read to its pass
            # Escalations this instance armed itself are fired on what it wrote, in the same
            # round trip as the claim (which leases them too): one call for a lone escalation.
            guessed, oncall = await self._guesses(now) if ahead is None else ([], None)
            if guessed:
                # A lone offer released frees its responder: what the pass after reads is read
                # after the write, in the same round trip (as `change_or_stale(view_into=…)`).
                lone = len(guessed) == 1 and guessed[0][0].kind == TimerKind.offer_timeout
                moves = self.engine.store.seen.moves
                claim, outcomes = await self.engine.store.claim_and_apply(
                    now,
                    self.lease_s,
                    self.batch,
                    [t for _, t in guessed],
                    (self.engine._held(), QUEUE_PAGE) if lone else None,
                )
                fired = await self._written(guessed, outcomes, oncall)
                if claim.view is not None and fired:
                    self._freed[:] = [(claim.view, moves)]
                for timer in fired:
                    self._late(timer, now)
                missed = self.engine.metrics.timer_guesses_missed
                for outcome in outcomes:
                    if isinstance(outcome, Conflict):
                        missed.labels(outcome.reason).inc()  # fired on the claim's read instead
            else:
                fired = []
                # One call: the due timers, their contacts, the next due time and the roster head.
                claim = ahead or await self.engine.store.claim_batch(now, self.lease_s, self.batch)
                ahead = None
                if self._burst_batch(claim):
                    fired_now, ahead = await self._fire_burst(claim)  # router/bursts.py
                    total += fired_now
                    continue
            done = {timer.id for timer in fired}
            timers = [timer for timer in claim.timers if timer.id not in done]
            self.next_due = claim.next_due
            # Different contacts' timers are independent (each transition is guarded by its
            # contact's revision), so they fire concurrently; one contact's stay in due order.
            by_contact: dict[str, list[Timer]] = {}
            for timer in timers:
                by_contact.setdefault(timer.contact_id or timer.id, []).append(timer)
            # A contact's lone escalation or breach (the bulk of a burst) is decided in Python and
            # written with the others in one round trip; anything else takes its own path.
            batched = [g[0] for g in by_contact.values() if len(g) == 1 and g[0].kind in BATCHED]
            others = [g for g in by_contact.values() if not (len(g) == 1 and g[0].kind in BATCHED)]
            if batched:
                others += [[t] for t in await self._fire_batch(batched, claim)]
            if others:
                await self._fire_groups(others, claim.contacts)
            if timers or fired:
                # One dispatch per batch, not per timer: a burst of due escalations widens many
                # audiences, and a single pass then offers them all. A lone timer whose write
                # freed someone read what that pass reads in the write's own round trip.
                alone = len(timers) + len(fired) == 1 and len(self._freed) == 1
                await self.engine.dispatch(view=self._freed[0] if alone else None)
            self._freed.clear()
            total += len(timers) + len(fired)
            self.fired += len(timers) + len(fired)
            if len(claim.timers) < self.batch:
                return total
            self._burst_until = time.monotonic() + BURST_HOLD_S  # a full batch: more are waiting

    async def run(self) -> None:
        """Until stop(): fire due timers, then sleep until the earliest due (or a wake-up)."""
        clock = self.engine.clock
        store = self.engine.store
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                await self.fire_due()
                # The earliest timer as the last claim found it: one armed since that is earlier
                # than every other publishes a wake-up, and MAX_SLEEP_S bounds the rest.
                nxt = self.next_due
                backoff = 0.1
            except StoreUnavailable as exc:
                log.warning("store_unavailable", error=type(exc).__name__, retry_in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            delay = MAX_SLEEP_S
            if nxt is not None:
                delay = min(delay, max(0.0, (nxt - clock.now()) / timedelta(seconds=1)))
            if delay > 0:
                await store.wait_wake(delay)

    def stop(self) -> None:
        self._stopping.set()

    async def _fire_groups(self, groups: list[list[Timer]], claimed: dict[str, Contact]) -> None:
        """Each group (one contact's timers) in due order, different contacts' at once; only
        StoreUnavailable gets out."""
        if len(groups) == 1:
            # One contact's timers (the usual case on a virtual clock): no task to schedule.
            # _fire_in_order lets only StoreUnavailable out, as gather's check below would.
            await self._fire_in_order(groups[0], claimed)
            return
        results = await asyncio.gather(
            *(self._fire_in_order(group, claimed) for group in groups), return_exceptions=True
        )
        for result in results:
            if isinstance(result, StoreUnavailable):
                raise result

    async def _fire_in_order(self, timers: list[Timer], claimed: dict[str, Contact]) -> None:
        async with self._parallel:
            for timer in timers:
                try:
                    await self.fire(timer, claimed)
                except StoreUnavailable:
                    raise
                except Exception:
                    # The lease runs out and the timer fires again; log without contact data.
                    log.exception("timer_failed", timer_id=timer.id, kind=timer.kind.value)

    def _late(self, timer: Timer, now: datetime) -> None:
        kind = timer.kind.value
        late = self._lateness.get(kind)
        if late is None:  # a histogram's child per kind, looked up once (a burst observes thousands)
            late = self._lateness[kind] = self.engine.metrics.timer_lateness.labels(kind)
        late.observe(max(0.0, (now - timer.due).total_seconds()))

    def _expired(self, contact_id: str, offer_id: str | None) -> None:
        """An offer released on its timeout, written and its events told: counted and logged."""
        self.engine.metrics.offers.labels("expired").inc()
        log.info("offer_expired", contact_id=contact_id, offer_id=offer_id)

    # -- what each kind of timer does -------------------------------------------------
    async def fire(self, timer: Timer, claimed: dict[str, Contact] | None = None) -> None:
        """Handle one claimed timer (the caller dispatches after). A stale one (its step
        already past) exits quietly. `claimed`: the contacts read with the claim (a contact not
        among them is gone), else the contact is looked up."""
        self._late(timer, self.engine.clock.now())
        if timer.kind in (TimerKind.shift_change, TimerKind.redispatch, TimerKind.tally):
            await self.engine.store.complete(timer.id)
            if timer.kind == TimerKind.shift_change:
                await self.engine.arm_shift_change()
            return
        if timer.kind == TimerKind.break_end:
            await self.engine.end_break(timer)
            return
        assert timer.contact_id is not None
        if claimed is not None:
            gone = timer.contact_id not in claimed
        else:
            gone = await self.engine.store.get_contact(timer.contact_id) is None
        if gone:
            await self.engine.store.complete(timer.id)
            return
        if timer.kind == TimerKind.offer_timeout:
            await self._fire_offer_timeout(timer)
        elif timer.kind == TimerKind.escalate:
            await self._fire_escalation(timer, ladder.escalate, "escalation")
        elif timer.kind == TimerKind.breach:
            await self._fire_escalation(timer, ladder.breach, "breach")
        elif timer.kind == TimerKind.abandon_grace:
            await self._fire_grace(timer)
        elif timer.kind in (TimerKind.callback, TimerKind.follow_up):
            await self._fire_task(timer)
        elif timer.kind == TimerKind.answer_timeout:
            await self.engine.answer_timeout(timer)
        elif timer.kind == TimerKind.hold:
            await self._fire_simple(
                timer, lambda c, now: waiting.hold_notice(self.engine.protocol, c, timer, now)
            )
        elif timer.kind == TimerKind.language_fallback:
            await self._widen_language(timer.contact_id, "fallback")
            await self.engine.store.complete(timer.id)
        elif timer.kind == TimerKind.pages:
            await self._fire_owed_pages(timer)

    async def _fire_simple(
        self, timer: Timer, step: Callable[[Contact, datetime], Transition | None]
    ) -> None:
        assert timer.contact_id is not None

        async def build(c: Contact) -> Transition | None:
            return step(c, self.engine.clock.now())

        if await self.engine.change_or_stale(timer.contact_id, build) is None:
            await self.engine.store.complete(timer.id)

    async def _fire_offer_timeout(self, timer: Timer) -> None:
        assert timer.offer_id is not None
        assert timer.contact_id is not None
        offer_id = timer.offer_id

        async def build(c: Contact) -> Transition | None:
            # The offer as read or written with this revision of its contact, where it is
            # among those the record names (it is, while pending): no read of its own.
            named = await self.engine._offers_of(c) if offer_id in c.offer_ids else []
            offer = next((o for o in named if o.id == offer_id), None)
            offer = offer or await self.engine.store.get_offer(offer_id)
            if offer is None:
                return None
            return tr.release_offer(c, offer, self.engine.clock.now(), OfferStatus.expired)

        contact = await self.engine.change_or_stale(timer.contact_id, build, view_into=self._freed)
        if contact is None:
            await self.engine.store.complete(timer.id)
            return
        self._expired(contact.id, offer_id)

    async def _fire_task(self, timer: Timer) -> None:
        """A callback or follow-up falls due: it becomes a contact, queued and timed like any."""
        assert timer.contact_id is not None
        original = await self.engine.get_contact(timer.contact_id)
        channel = timer.via[0] if timer.via else original.channel
        priority = Priority(timer.notify[0]) if timer.notify else original.priority
        reason = timer.notify[1] if len(timer.notify) > 1 else "abandoned"
        task = intake.callback_in(original, channel, priority, timer.step or 1, reason)
        if timer.kind == TimerKind.follow_up:
            task = task.model_copy(update={"flags": ["follow_up"]})
        await self.engine.store.complete(timer.id)
        created = await self.engine.intake(task)
        log.info(timer.kind.value, contact_id=created.id, for_contact=original.id)

    async def _fire_grace(self, timer: Timer) -> None:
        assert timer.contact_id is not None
        contact = await self.engine.get_contact(timer.contact_id)
        await self.engine.store.complete(timer.id)
        if contact.is_unanswered:
            await self.engine.abandon(contact.id)
