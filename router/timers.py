"""The timer loop and what each timer does: claim due timers with a lease, fire them (offer
timeouts, escalation steps, breaches, callbacks, follow-ups), sleep until the next is due."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from protocols import Partner, Priority
from router import aftercare, intake, ladder, owed_pages, waiting
from router import transitions as tr
from router.dispatching import Prefetched
from router.engine import Engine
from router.models import Contact, OfferStatus
from router.store import Conflict, StoreUnavailable, TimerBatch, Transition
from router.timer_models import Timer, TimerKind
from schedules import OnCall

log = structlog.get_logger("router.timers")

LEASE_S = 30.0
# Sleep at most this long even when nothing is due: a safety net for a missed wake-up.
MAX_SLEEP_S = 1.0
# Contacts whose timers fire at the same time (bounded so a burst cannot exhaust connections).
PARALLEL = 32
# How long after a full batch this instance still counts as firing a burst (real seconds: it is
# about sharing the CPU, not about when anything falls due).
BURST_HOLD_S = 0.5
BATCHED = frozenset({TimerKind.escalate, TimerKind.breach})


class TimerRunner:
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

    def bursting(self) -> bool:
        """Firing a burst (a full batch claimed within BURST_HOLD_S): work that can wait, waits."""
        return time.monotonic() < self._burst_until

    async def fire_due(self) -> int:
        """Fire everything due now (the one step tests and simulations drive by hand)."""
        total = 0
        while True:
            now = self.engine.clock.now()
            self._freed.clear()  # only this batch's own writes may hand their read to its pass
            # Escalations this instance armed itself are fired on what it wrote, in the same
            # round trip as the claim (which leases them too): one call for a lone escalation.
            guessed, oncall = await self._guesses(now)
            if guessed:
                claim, outcomes = await self.engine.store.claim_and_apply(
                    now, self.lease_s, self.batch, [t for _, t in guessed]
                )
                fired = await self._written(guessed, outcomes, oncall)
                for timer in fired:
                    self._late(timer, now)
                missed = self.engine.metrics.timer_guesses_missed
                for outcome in outcomes:
                    if isinstance(outcome, Conflict):
                        missed.labels(outcome.reason).inc()  # fired on the claim's read instead
            else:
                fired = []
                # One call: the due timers, their contacts, the next due time and the roster head.
                claim = await self.engine.store.claim_batch(now, self.lease_s, self.batch)
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
            if len(others) == 1:
                # One contact's timers (the usual case on a virtual clock): no task to schedule.
                # _fire_in_order lets only StoreUnavailable out, as gather's check below would.
                await self._fire_in_order(others[0], claim.contacts)
            elif others:
                results = await asyncio.gather(
                    *(self._fire_in_order(group, claim.contacts) for group in others), return_exceptions=True
                )
                for result in results:
                    if isinstance(result, StoreUnavailable):
                        raise result
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

    async def _guesses(self, now: datetime) -> tuple[list[tuple[Timer, Transition]], OnCall | None]:
        """The escalations and breaches this instance armed and now due, each decided on its
        contact as this instance last wrote it and guarded on that, on the timer being due and
        unclaimed but by this instance's claim sent just before, and on the roster it last saw
        (whose on-call set it pages)."""
        store = self.engine.store
        head = store.seen.roster_head
        known = store.known_due(now, self.batch) if head >= 0 else []
        planned = [(timer, t) for timer, contact in known if (t := _step(timer, contact, now)) is not None]
        if not planned:
            return [], None
        oncall, _ = await self.engine.rosters.on_call(now, head)
        leased = now + timedelta(seconds=self.lease_s)
        for timer, t in planned:
            t.expect_due, t.expect_head = (timer.id, now, leased), head
        self._quiet(planned, oncall)
        return planned, oncall

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

    async def _fire_batch(self, timers: list[Timer], claim: TimerBatch) -> list[Timer]:
        """Escalations and breaches of distinct contacts: one read for all their contacts, one
        pipeline of transitions (each still atomic and guarded by its contact's revision).
        Returns the timers whose contact changed meanwhile: they go the one-at-a-time way."""
        engine = self.engine
        now = engine.clock.now()
        planned: list[tuple[Timer, Transition]] = []
        stale: list[Timer] = []
        for timer in timers:
            self._late(timer, now)
            contact = claim.contacts.get(timer.contact_id or "")
            t = _step(timer, contact, now) if contact is not None else None
            if t is None:
                stale.append(timer)
            else:
                planned.append((timer, t))
        for timer in stale:
            await engine.store.complete(timer.id)
        oncall, _ = await engine.rosters.on_call(now, claim.roster_head) if planned else (None, None)
        if oncall is not None:
            self._quiet(planned, oncall)
        outcomes = await engine.store.apply_many([t for _, t in planned])
        written = {timer.id for timer in await self._written(planned, outcomes, oncall)}
        return [timer for timer, _ in planned if timer.id not in written]

    @staticmethod
    def _quiet(planned: list[tuple[Timer, Transition]], oncall: OnCall) -> None:
        """A step that pages nobody on call and hands nothing over owes nothing (a burst with
        nobody rostered writes no pages to clear); the pages are worked out from this very
        on-call set."""
        for timer, t in planned:
            quiet = "partner" not in timer.notify and not ladder.paged(oncall, timer.notify)
            if timer.kind == TimerKind.escalate and quiet:
                t.arm = [a for a in t.arm if a.kind != TimerKind.pages]

    async def _written(
        self,
        planned: list[tuple[Timer, Transition]],
        outcomes: list[Contact | Conflict],
        oncall: OnCall | None,
    ) -> list[Timer]:
        """What each escalation or breach written owes (its events, metrics, pages); the timers
        written. A refused one is left to its caller."""
        engine = self.engine
        written: list[Timer] = []
        for (timer, t), outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, Conflict):
                continue
            written.append(timer)
            await engine._emit(outcome, t.events)
            reason = "escalation" if timer.kind == TimerKind.escalate else "breach"
            self._escalated(timer, outcome, reason)
            await self._after_escalation(timer, outcome, reason, oncall, _owed(t))
        return written

    def _late(self, timer: Timer, now: datetime) -> None:
        self.engine.metrics.timer_lateness.labels(timer.kind.value).observe(
            max(0.0, (now - timer.due).total_seconds())
        )

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

    async def _widen_language(self, contact_id: str, reason: str) -> None:
        oncall, _ = await self.engine.rosters.on_call(self.engine.clock.now())
        responders = [r for r in await self.engine.store.list_responders() if r.id in oncall.everyone]

        async def build(c: Contact) -> Transition | None:
            return waiting.widen_language(
                self.engine.protocol, c, responders, self.engine.clock.now(), reason
            )

        contact = await self.engine.change_or_stale(contact_id, build)
        if contact is not None:
            log.warning("language_widened", contact_id=contact_id, reason=reason)

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
        self.engine.metrics.offers.labels("expired").inc()
        log.info("offer_expired", contact_id=contact.id, offer_id=offer_id)

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

    async def _fire_escalation(
        self,
        timer: Timer,
        step: Callable[[Contact, Timer, datetime], Transition | None],
        reason: str,
    ) -> None:
        assert timer.contact_id is not None

        built: list[Transition] = []

        async def build(c: Contact) -> Transition | None:
            t = step(c, timer, self.engine.clock.now())
            built[:] = [t] if t else []
            return t

        contact = await self.engine.change_or_stale(timer.contact_id, build)
        if contact is None:
            await self.engine.store.complete(timer.id)
            return
        self._escalated(timer, contact, reason)
        await self._after_escalation(timer, contact, reason, owed=_owed(built[0]))

    async def _fire_owed_pages(self, timer: Timer) -> None:
        """Pages a write promised and its instance did not live to send: sent now, unless they
        were about a contact left waiting that someone has answered since."""
        assert timer.contact_id is not None
        contact = await self.engine.get_contact(timer.contact_id)
        reason = timer.reason or "escalation"
        if reason in owed_pages.ABOUT_WAITING and not contact.is_unanswered:
            log.info("owed_pages_moot", contact_id=contact.id, reason=reason)
            await self.engine.store.complete(timer.id)
            return
        log.warning("owed_pages_recovered", contact_id=contact.id, reason=reason)
        if reason in owed_pages.ABOUT_WAITING:
            await self._after_escalation(timer, contact, reason, owed=timer.id)
        elif reason == "debrief":
            await self.engine.debrief(contact, timer.notify, timer.via, owed=timer.id)
        else:
            await self.engine.page(contact, timer.notify, timer.via, reason, owed=timer.id)

    def _escalated(self, timer: Timer, contact: Contact, reason: str) -> None:
        """An escalation step or a breach written: counted and logged (what it owes follows)."""
        labels = (contact.channel, contact.priority.value)
        if reason == "breach":
            self.engine.metrics.breaches.labels(*labels).inc()
        else:
            self.engine.metrics.escalations.labels(*labels).inc()
        log.warning(
            reason,
            contact_id=contact.id,
            level=contact.escalation_level,
            notify=timer.notify,
            waited_s=tr.seconds(contact.received_at, self.engine.clock.now()),
        )

    async def _after_escalation(
        self,
        timer: Timer,
        contact: Contact,
        reason: str,
        oncall: OnCall | None = None,
        owed: str | None = None,
    ) -> None:
        """What an escalation or breach owes once written: its pages, and for a breach (or a step
        naming a partner) the language widened and the hand-off. `owed` (the pages timer its
        write armed) is cleared in the pages' own record when nothing follows them, else after
        the rest."""
        more = reason == "breach" or "partner" in timer.notify
        await self.engine.page(contact, timer.notify, timer.via, reason, oncall, None if more else owed)
        if reason == "breach":
            # No contact goes unoffered to its breach because of language.
            await self._widen_language(contact.id, "breach")
        if more:
            protocol = self.engine.protocol
            # The step's own partner travels in its timer; else the protocol's overflow partner.
            partner = protocol.partner(timer.partner) if timer.partner else None
            partner = partner or protocol.overflow_partner_for(None)
            if partner is not None:
                await self._handoff(contact.id, partner)
            if owed:
                await self.engine.store.complete(owed)

    async def _handoff(self, contact_id: str, partner: Partner) -> None:
        async def build(c: Contact) -> Transition | None:
            return aftercare.partner_handoff(self.engine.protocol, c, partner, self.engine.clock.now())

        if await self.engine.change_or_stale(contact_id, build) is not None:
            log.warning("partner_handoff", contact_id=contact_id, partner=partner.id)


def _step(timer: Timer, contact: Contact, now: datetime) -> Transition | None:
    """An escalation's or a breach's write on `contact` (None: its step is already past)."""
    step = ladder.escalate if timer.kind == TimerKind.escalate else ladder.breach
    return step(contact, timer, now)


def _owed(t: Transition) -> str | None:
    """The pages timer a written transition armed, if any."""
    return next((a.id for a in t.arm if a.kind == TimerKind.pages), None)
