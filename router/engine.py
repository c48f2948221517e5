"""The engine: intake, dispatch, offers, answers, closing and timer handling over one Store."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from typing import Protocol as TypingProtocol

import structlog

from protocols import Protocol
from router import aftercare, endings, intake, ladder, randomness, staffing, wrapup
from router import transitions as tr
from router.changing import Changing
from router.clock import Clock
from router.errors import Invalid, NotFound
from router.keyring import Keyring
from router.metrics import Metrics
from router.models import Contact, Event, Offer, OfferStatus, Presence, Responder
from router.notify import LogNotifier, Notifier, Page, PagesOwed, record_pages
from router.receiving import Receiving
from router.rosters import Rosters
from router.staff_actions import StaffActions, owed_debrief
from router.store import DispatchState, Store, Transition
from router.timer_models import Timer, TimerKind
from schedules import OnCall

log = structlog.get_logger("router")


class Listener(TypingProtocol):
    """A channel adapter that wants to hear about transitions (to bridge, relay, acknowledge)."""

    async def on_event(self, contact: Contact, event: Event) -> None: ...


def new_id(prefix: str) -> str:
    return f"{prefix}_{randomness.token_hex(8)}"


@dataclass
class Engine(Receiving, Changing, StaffActions):
    store: Store
    clock: Clock
    protocol: Protocol
    notifier: Notifier = field(default_factory=LogNotifier)
    metrics: Metrics = field(default_factory=Metrics)
    listeners: list[Listener] = field(default_factory=list)
    id_factory: Callable[[str], str] = new_id
    keyring: Keyring = field(default_factory=Keyring)
    sender_limit: int = intake.SENDER_CONTACTS_PER_HOUR

    def __post_init__(self) -> None:
        self.rosters = Rosters(self.store, self.clock, lambda: self.notifier)
        self._dispatch_lock = asyncio.Lock()
        self._dispatch_again = False
        self._later: asyncio.Task[None] | None = None
        self._known: DispatchState | None = None
        # Monotonic times (time.monotonic(), which counts from an unspecified point, as small as
        # the machine's uptime): never, until they happen.
        self._read_last = -math.inf
        self._whole_asked = -math.inf  # when intake last asked for the dispatch state whole
        self._offers_read: dict[tuple[str, int], list[Offer]] = {}
        self._nobody_free: str | None = None
        self._read_moves = -1  # StateSeen.moves as the last pass's read was sent
        self._queue_was_empty = False
        self._redispatch_at: datetime | None = None

    @property
    def ladder_len(self) -> int:
        return self.protocol.longest_ladder

    def sender_key(self, channel: str, sender: str) -> str:
        """Keyed hash of a person's address: finds their open contact without storing plaintext."""
        return self.keyring.sender_key(channel, sender)

    async def open_contact_for(self, channel: str, sender: str) -> Contact | None:
        """The person's open contact on this kind of address (phone for voice and SMS), any key."""
        for key in self.keyring.sender_keys(channel, sender):
            if cid := await self.store.find_open(key):
                return await self.store.get_contact(cid)
        return None

    # -- offers -------------------------------------------------------------
    async def accept(self, offer_id: str, by: str | None = None) -> Contact:
        offer, first, guessed = await self._offer(offer_id, by)

        async def build(c: Contact) -> Transition:
            fresh, others = await self._offer_in(c, offer_id)
            t = tr.accept(c, fresh, self.clock.now(), others)
            t.arm.append(staffing.answer_timer(self.protocol, t.contact, self.clock.now()))
            return t

        contact = await self._change(offer.contact_id, build, first, guessed=guessed)
        self.metrics.offers.labels("accepted").inc()
        log.info("accepted", contact_id=contact.id, responder=offer.responder, offer_id=offer_id)
        return contact

    async def decline(self, offer_id: str, by: str | None = None) -> Contact:
        offer, first, guessed = await self._offer(offer_id, by)

        async def build(c: Contact) -> Transition:
            fresh, _ = await self._offer_in(c, offer_id)
            t = tr.release_offer(c, fresh, self.clock.now(), OfferStatus.declined)
            assert t is not None  # a decline of a stale offer raises InvalidState instead
            return t

        contact, view = await self._change_freeing(offer.contact_id, build, first, guessed)
        self.metrics.offers.labels("declined").inc()
        log.info("declined", contact_id=contact.id, responder=offer.responder, offer_id=offer_id)
        await self.dispatch(view=view)
        return await self._as_written(contact)

    # -- conversation and closing -------------------------------------------------
    async def answered(self, contact_id: str, how: str = "bridged") -> Contact:
        """A human is connected (the voice bridge is up, or an adapter says so)."""

        async def build(c: Contact) -> Transition:
            return tr.answer(c, self.clock.now(), self.ladder_len, how)

        contact = await self._change(contact_id, build)
        self._observe_answer(contact)
        return contact

    async def send_message(self, contact_id: str, body: str, responder: str) -> Contact:
        known = self._guess(contact_id)
        before = (known.contact if known is not None else None) or await self.get_contact(contact_id)

        async def build(c: Contact) -> Transition:
            return tr.message_out(c, body, responder, self.clock.now(), self.ladder_len)

        # Decided on the contact just read, or as this process last knew it (one read or none,
        # not two); a change meanwhile reads again.
        contact = await self._change(contact_id, build, before, guessed=known is not None)
        if before.answered_at is None and contact.answered_at is not None:
            self._observe_answer(contact)
        return contact

    async def receive_message(self, contact_id: str, body: str, delivery: str | None = None) -> Contact:
        """The person wrote; `delivery` names a provider's message so a repeat is refused (409)."""

        async def build(c: Contact) -> Transition:
            return tr.message_in(c, body, self.clock.now(), delivery)

        async def said_full(c: Contact) -> Transition | None:
            # Once, until something else happens: the responder sees the person went on writing.
            if c.timeline and c.timeline[-1].event == tr.CONVERSATION_FULL:
                return None
            return tr.note(c, self.clock.now(), tr.CONVERSATION_FULL, {})

        try:
            return await self._change(contact_id, build)
        except tr.ConversationFull:
            await self.change_or_stale(contact_id, said_full)
            raise

    async def note(self, contact_id: str, event: str, **fields: Any) -> Contact:
        """Record an event on the contact's timeline (and tell listeners) without changing state."""

        async def build(c: Contact) -> Transition:
            return tr.note(c, self.clock.now(), event, fields)

        return await self._change(contact_id, build)

    async def set_language(self, contact_id: str, language: str) -> Contact:
        """The person chose a language (a voice menu, the chat widget): route by it from now on."""

        async def build(c: Contact) -> Transition:
            return tr.set_language(c, language, self.clock.now())

        contact, view = await self._change_freeing(contact_id, build)
        await self.dispatch(view=view)
        return contact

    async def release(self, contact_id: str, reason: str) -> Contact:
        """Back to the queue from `assigned` (the bridge call was never picked up)."""

        async def build(c: Contact) -> Transition:
            return tr.release(c, self.clock.now(), reason)

        contact, view = await self._change_freeing(contact_id, build)
        log.info("released", contact_id=contact_id, reason=reason)
        await self.dispatch(view=view)
        return await self._as_written(contact)

    async def arm_grace(self, contact_id: str, due: datetime) -> None:
        """If the person does not come back by `due` (a dropped chat), the contact is abandoned.
        Durable: it fires even if this instance dies. Disarmed by `disarm_grace` or by the
        contact being answered or ending."""
        await self.store.arm(
            [Timer(id=f"grace:{contact_id}", kind=TimerKind.abandon_grace, due=due, contact_id=contact_id)]
        )

    async def disarm_grace(self, contact_id: str) -> None:
        await self.store.complete(f"grace:{contact_id}")

    async def close(
        self,
        contact_id: str,
        disposition: str,
        notes: str | None,
        by: str,
        outcome: dict[str, Any] | None = None,
    ) -> Contact:
        """Close with a disposition and what the protocol requires for it (Standards 27, 30, 23)."""
        record = {**(outcome or {}), "notes": notes}
        known = self._guess(contact_id)
        current, guessed = (known.contact, True) if known is not None else (None, False)
        problems = (
            [] if current is None else wrapup.close_problems(self.protocol, current, disposition, record)
        )
        if current is None or (problems and guessed):
            # Nothing known here, or refused on what was: read, and check again, before saying no.
            current, guessed = (await self._read_contact(contact_id)).contact, False
            if current is None:
                raise NotFound(f"no contact {contact_id}")
            problems = wrapup.close_problems(self.protocol, current, disposition, record)
        if problems:
            raise Invalid.many(
                [tuple(p.split(": ", 1)) if ": " in p else ("disposition", p) for p in problems]
            )

        async def build(c: Contact) -> Transition:
            now = self.clock.now()
            t = endings.close(
                c, await self._offers_of(c), disposition, notes, now, self.ladder_len, by, outcome
            )
            original = await self.store.get_contact(c.callback_for) if c.callback_for else None
            wrapup.on_close(self.protocol, c, original, t, disposition, outcome or {}, now)
            if (debrief := owed_debrief(self.protocol, t.contact, now)) is not None:
                t.arm.append(debrief)
            return t

        contact, view = await self._change_freeing(contact_id, build, current, guessed)
        log.info("closed", contact_id=contact_id, disposition=disposition)
        await self.after_close(contact)
        await self.dispatch(view=view)
        return contact

    async def hand_off(self, contact_id: str, partner: str, how: str) -> Contact:
        """A partner hotline took the person (warm transfer): the handoff is recorded and, as
        the protocol asks, followed up."""

        async def build(c: Contact) -> Transition:
            now = self.clock.now()
            t = endings.hand_off(c, await self._offers_of(c), now, self.ladder_len, partner, how)
            if self.protocol.referral_follow_up.handoffs_too:
                t.arm.append(aftercare.follow_up_timer(self.protocol, c, now))
            return t

        contact, view = await self._change_freeing(contact_id, build)
        log.warning("handed_off", contact_id=contact_id, partner=partner, via=how)
        await self.dispatch(view=view)
        return contact

    async def abandon(self, contact_id: str) -> Contact:
        """The person left unanswered; the protocol's callback task is armed in the same step."""

        async def build(c: Contact) -> Transition:
            now = self.clock.now()
            t = endings.abandon(c, await self._offers_of(c), now, self.ladder_len)
            # a callback task itself left unanswered is not called back again (its ladder ran)
            callback = (
                None if c.callback_for else aftercare.callback_timer(self.protocol, c, "abandoned", now)
            )
            if callback is not None:
                t.arm.append(callback)
            return t

        contact, view = await self._change_freeing(contact_id, build)
        self.metrics.abandoned.labels(contact.channel, contact.priority.value).inc()
        log.info(
            "abandoned", contact_id=contact_id, waited_s=tr.seconds(contact.received_at, self.clock.now())
        )
        await self.dispatch(view=view)
        return contact

    def _observe_answer(self, contact: Contact) -> None:
        assert contact.answered_at is not None
        waited = (contact.answered_at - contact.received_at).total_seconds()
        self.metrics.time_to_answer.labels(contact.channel, contact.priority.value).observe(waited)
        log.info(
            "answered",
            contact_id=contact.id,
            responder=contact.responder,
            time_to_answer_s=round(waited, 3),
            within_target=waited <= contact.target_s,
        )

    # -- presence and responders -------------------------------------------------
    async def put_responder(self, responder: Responder) -> bool:
        created = await self.store.put_responder(responder, self.clock.now())
        await self.dispatch()
        return created

    async def set_presence(self, responder_id: str, status: Presence) -> None:
        if await self.store.get_responder(responder_id) is None:
            raise NotFound(f"no responder {responder_id}")
        await self.store.set_presence(responder_id, status, self.clock.now())
        await self.store.complete(f"break:{responder_id}")  # their own word ends any break
        log.info("presence", responder=responder_id, status=status)
        await self.dispatch()

    # -- timers ---------------------------------------------------------------------
    async def page(
        self,
        contact: Contact,
        notify: list[str],
        via: list[str],
        reason: str,
        oncall: OnCall | None = None,
        owed: str | None = None,
        record_with: list[PagesOwed] | None = None,
    ) -> None:
        """Page everyone on call now in the named roles (escalations, breaches, imminent danger);
        a burst of escalations hands in the on-call set it read once. `owed`: the timer its write
        armed to keep these pages owed (router/owed_pages.py), cleared with their record.
        `record_with`: the pages and `owed` join the caller's batch, which it records itself
        (`record_pages`) once every page of the batch is sent."""
        if oncall is None:
            oncall, _ = await self.rosters.on_call(self.clock.now())
        targets = ladder.paged(oncall, notify)
        sent: list[Page] = []
        # The responders' records as dispatch holds them, when this instance's newest write
        # found that very state (nobody changed a record since): no read per person paged.
        held = self._current()
        for rid in targets:
            responder = held.responders.get(rid) if held else await self.store.get_responder(rid)
            if responder is not None:
                page = Page(responder=responder, contact=contact, reason=reason, via=tuple(via))
                await self._safely(reason, self.notifier.page(page))
                sent.append(page)
        if record_with is not None:
            record_with.append((sent, owed))
            return
        # One write for the lot: the audit trail, and how every instance's consoles hear them.
        await self.record_pages([(sent, owed)])

    async def record_pages(self, sent: list[PagesOwed]) -> None:
        await self._safely("page_record", record_pages(self.store, sent, self.clock.now()))

    async def arm_shift_change(self) -> None:
        """Dispatch must look again when the on-call set changes: arm the next boundary."""
        nxt = await self.rosters.next_change(self.clock.now())
        if nxt is not None:
            await self.store.arm([Timer(id=f"shift:{nxt.isoformat()}", kind=TimerKind.shift_change, due=nxt)])

    # -- reads ------------------------------------------------------------------------
    async def get_contact(self, contact_id: str) -> Contact:
        contact = await self.store.get_contact(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        return contact

    async def offers_for(self, responder: str | None, status: str | None) -> list[Offer]:
        if status in (None, "pending"):
            offers = await self.store.pending_offers()
        else:
            raise Invalid("status", "only status=pending can be listed")
        return [o for o in offers if responder is None or o.responder == responder]

    # -- plumbing -----------------------------------------------------------------------
    async def _emit(self, contact: Contact, events: list[Event]) -> None:
        # Inline rather than through _safely: every event of every transition passes here.
        for listener in self.listeners:
            for event in events:
                try:
                    await listener.on_event(contact, event)
                except Exception as exc:  # a listener failing never undoes routing
                    self._failed("listener", exc)

    async def _safely(self, kind: str, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:  # a notifier or listener failing never undoes routing
            self._failed(kind, exc)

    def _failed(self, kind: str, exc: Exception) -> None:
        self.metrics.notify_failures.labels(kind).inc()
        log.error("notify_failed", kind=kind, error=type(exc).__name__)
