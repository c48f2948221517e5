"""What the timer loop does for escalation steps and breaches (router/timers.py mixes it in):
fire them on a guess in the claim's own round trip (an offer's timeout too, when such are all
that falls due), or a batch of them on the claim's read, or one on its own; then what each
written step owes (its pages, and for a breach or a step naming a partner the language widened
and the hand-off); and owed pages an instance did not live to send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from protocols import Partner
from router import aftercare, ladder, owed_pages, waiting
from router import transitions as tr
from router.engine import Engine
from router.models import Contact, OfferStatus
from router.notify import PagesOwed
from router.store import Conflict, TimerBatch, Transition
from router.timer_models import Timer, TimerKind
from schedules import OnCall

log = structlog.get_logger("router.timers")


class Escalating:
    """Mixed into TimerRunner, which sets these."""

    engine: Engine
    batch: int
    lease_s: float

    def _late(self, timer: Timer, now: datetime) -> None:
        raise NotImplementedError

    def _expired(self, contact_id: str, offer_id: str | None) -> None:
        raise NotImplementedError

    async def _guesses(self, now: datetime) -> tuple[list[tuple[Timer, Transition]], OnCall | None]:
        """The escalations and breaches this instance armed and now due, each decided on its
        contact as this instance last wrote it and guarded on that, on the timer being due and
        unclaimed but by this instance's claim sent just before, and on the roster it last saw
        (whose on-call set it pages)."""
        store = self.engine.store
        head = store.seen.roster_head
        known = store.known_due(now, self.batch) if head >= 0 else []
        planned = [
            (timer, t) for timer, contact in known if (t := self._guess(timer, contact, now)) is not None
        ]
        if not planned:
            return [], None
        oncall, _ = await self.engine.rosters.on_call(now, head)
        leased = now + timedelta(seconds=self.lease_s)
        for timer, t in planned:
            t.expect_due, t.expect_head = (timer.id, now, leased), head
        self._quiet(planned, oncall)
        return planned, oncall

    def _guess(self, timer: Timer, contact: Contact, now: datetime) -> Transition | None:
        """The write a guessed timer makes: a step on the ladder, or an offer's release, decided
        on the contact (and the offer) as this instance last wrote or read them."""
        if timer.kind != TimerKind.offer_timeout:
            return _step(timer, contact, now)
        held = self.engine.store.known_view(offer_id=timer.offer_id) if timer.offer_id else None
        if held is None or held.offer is None or held.contact is None or held.contact.rev != contact.rev:
            return None  # not held as written: the claim's way reads it
        return tr.release_offer(contact, held.offer, now, OfferStatus.expired)

    async def _fire_batch(self, timers: list[Timer], claim: TimerBatch) -> list[Timer]:
        """Escalations and breaches of distinct contacts: one read for all their contacts, one
        pipeline of transitions (each still atomic and guarded by its contact's revision).
        Returns the timers whose contact changed meanwhile: they go the one-at-a-time way."""
        planned, oncall = await self._plan_batch(timers, claim)
        outcomes = await self.engine.store.apply_many([t for _, t in planned])
        return await self._batch_written(planned, outcomes, oncall)

    async def _plan_batch(
        self, timers: list[Timer], claim: TimerBatch
    ) -> tuple[list[tuple[Timer, Transition]], OnCall | None]:
        """The batch's steps decided on the claim's read, with the on-call set they page; a
        timer whose contact is gone is completed here."""
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
        return planned, oncall

    async def _batch_written(
        self,
        planned: list[tuple[Timer, Transition]],
        outcomes: list[Contact | Conflict],
        oncall: OnCall | None,
    ) -> list[Timer]:
        """What the batch's written steps owe; the timers refused (their contact changed)."""
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
        """What each escalation or breach written owes (its events, metrics, pages), and an offer
        released on its timeout its events; the timers written. A refused one is left to its
        caller."""
        engine = self.engine
        written: list[Timer] = []
        pages: list[PagesOwed] = []  # recorded in one write once all are sent
        for (timer, t), outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, Conflict):
                continue
            written.append(timer)
            await engine._emit(outcome, t.events)
            if timer.kind == TimerKind.offer_timeout:
                self._expired(outcome.id, timer.offer_id)
                continue
            reason = "escalation" if timer.kind == TimerKind.escalate else "breach"
            self._escalated(timer, outcome, reason)
            await self._after_escalation(timer, outcome, reason, oncall, _owed(t), pages)
        if pages:
            await engine.record_pages(pages)
        return written

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
        pages: list[PagesOwed] | None = None,
    ) -> None:
        """What an escalation or breach owes once written: its pages, and for a breach (or a step
        naming a partner) the language widened and the hand-off. `owed` (the pages timer its
        write armed) is cleared in the pages' own record when nothing follows them, else after
        the rest. `pages`: a batch's, recorded by the caller once every page is sent (a step
        with nothing after its pages only)."""
        more = reason == "breach" or "partner" in timer.notify
        if more and pages:
            await self.engine.record_pages(pages)  # the batch's so far first: the stream's order kept
            pages.clear()
        page_owed, batch = (None, None) if more else (owed, pages)
        await self.engine.page(contact, timer.notify, timer.via, reason, oncall, page_owed, batch)
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
