"""Dispatch: offer every waiting contact that someone free can take, one pass over the queue;
and intake, which offers a new contact in its own write when nobody waits ahead of it."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime

import structlog

from protocols import Protocol
from router import transitions as tr
from router.clock import Clock, from_ms
from router.dispatcher import Snapshot, choose, choose_all
from router.keyring import Keyring
from router.metrics import Metrics
from router.models import Contact, ContactStatus, Event, Responder
from router.notify import Notifier, Pager
from router.rosters import Rosters
from router.store import Conflict, ContactView, DispatchState, DispatchView, Store, Transition
from router.timer_models import Timer, TimerKind
from schedules import OnCall

log = structlog.get_logger("router")

# A dispatch view read right after a write, with StateSeen.moves as it was sent.
Prefetched = tuple[DispatchView, int]
# An offer a pass will write: the contact, whom it goes to, the transition, when it was made.
Planned = tuple[Contact, list[Responder], Transition, datetime]

QUEUE_PAGE = 500
# A dispatch state held longer than this is read whole again (see Dispatching._held).
STATE_MAX_AGE_S = 5.0
# Passes one dispatch call makes for others who asked meanwhile before it hands over to a task.
PASSES_PER_CALL = 4
# Offers one caller (often an HTTP request) makes before a background task carries on.
OFFERS_PER_CALL = 100


class Dispatching:
    """The engine's dispatch, kept apart so each file reads in one sitting."""

    store: Store
    clock: Clock
    protocol: Protocol
    notifier: Notifier
    metrics: Metrics
    rosters: Rosters
    id_factory: Callable[[str], str]
    _dispatch_lock: asyncio.Lock
    _dispatch_again: bool
    _later: asyncio.Task[None] | None
    # The dispatch state as last read, and its version when a pass last found nobody free.
    _known: DispatchState | None
    _nobody_free: str | None
    _read_moves: int
    # Whether the newest read found nobody waiting (less those its pass then offered): intake
    # in one round trip offers in its write only then (router/receiving.py).
    _queue_was_empty: bool
    # time.monotonic() of the last read that brought the dispatch state (whole, by steps or
    # unchanged): how far behind other instances the state held here can be.
    _read_last: float
    _whole_asked: float
    # Due time of the newest redispatch timer this instance armed (see _dispatch_pass).
    _redispatch_at: datetime | None

    keyring: Keyring
    sender_limit: int

    async def _emit(self, contact: Contact, events: list[Event]) -> None:
        raise NotImplementedError

    page: Pager

    async def _safely(self, kind: str, call: Awaitable[None]) -> None:
        raise NotImplementedError

    # -- dispatch passes ----------------------------------------------------------------
    async def dispatch(self, budget: int | None = OFFERS_PER_CALL, view: Prefetched | None = None) -> int:
        """Offer every waiting contact that someone free can take. Returns offers made.

        Runs on every event that can free a match; concurrent calls fold into one more pass.
        A caller (often an HTTP request) makes at most `budget` offers; a background task
        carries on past that, so nobody waits for everyone else's contacts. `view`: what the
        caller's own write read after itself (`_apply_then_view`), for this call's first pass
        only (a call folded into a running pass drops it: that pass reads again).
        """
        if self._dispatch_lock.locked():
            self._dispatch_again = True
            return 0
        made = 0
        async with self._dispatch_lock:
            for _ in range(PASSES_PER_CALL):
                self._dispatch_again = False
                left = None if budget is None else budget - made
                n, conflicted = await self._dispatch_pass(left, view)
                view = None
                made += n
                if left is not None and n >= left:
                    break
                if not conflicted and not self._dispatch_again:
                    return made
        # Still more to do (intake keeps coming): finish in the background so this caller, often
        # an HTTP request, is not held for everyone else's contacts.
        self._later = self._later or asyncio.create_task(self._dispatch_later())
        return made

    async def settle(self, within_s: float = 10.0) -> None:
        """Until no dispatch pass runs or waits to run (at shutdown, before the store closes:
        a pass cut off by a closed connection would only be logged as a failed task)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while self._later is not None or self._dispatch_lock.locked():
                    if self._later is not None:
                        await asyncio.wait({self._later})
                    else:
                        async with self._dispatch_lock:
                            pass  # the pass in progress has ended

    async def _dispatch_later(self) -> None:
        await asyncio.sleep(0)
        self._later = None
        await self.dispatch(budget=None)

    def _snapshot(self, state: DispatchState, oncall: OnCall, version: int | None) -> Snapshot:
        # The store's state may be shared with later passes (reused while its version holds):
        # the pass's own bookkeeping of offers it makes goes into copies (Snapshot.took).
        return Snapshot(
            now=self.clock.now(),
            oncall=oncall,
            responders=state.responders,
            presence=state.presence,
            loads=state.loads,
            idle=state.idle,
            roster_version=version,
        )

    def _held(self) -> DispatchState | None:
        """The dispatch state this instance holds, while young enough to offer for reuse. The
        version alone would do, but a Sentinel failover can lose the last writes and then count
        the same numbers again over a different state: a full read now and then bounds that."""
        known = self._known
        if known is not None and time.monotonic() - known.read_at > STATE_MAX_AGE_S:
            known = None
        if known is not None:
            # Carried through this instance's own writes since (loads and idle times they moved,
            # one version each): the read then finds it current and sends nothing back. Its age
            # stays that of the read it was carried from.
            known = self.store.seen.carry(known)
        self._known = known
        return known

    def _hold(self, state: DispatchState | None) -> None:
        """Keep a state just read, unless the one held is newer (replies on several connections
        arrive in any order, and the held one is carried by this instance's own writes: its
        numbers since are all steps, so only the roster head, which no number counts, can be
        newer in the read)."""
        if state is None:
            return
        held = self._known
        if held is None or not _older(state.version, held.version):
            self._known = state
        else:
            self._hold_head(state.roster_head)
        self._read_last = time.monotonic()

    def _hold_head(self, roster_head: int) -> None:
        """A roster head read without the state it goes with, kept in the state held if newer."""
        held = self._known
        if held is not None and roster_head > held.roster_head:
            self._known = replace(held, roster_head=roster_head)

    async def snapshot_now(self) -> Snapshot:
        """The dispatch snapshot as it stands (one round trip; the queue not read)."""
        view = await self.store.dispatch_view(self._held(), "none")
        self._hold(view.state)
        oncall, version = await self.rosters.on_call(self.clock.now(), view.state.roster_head)
        return self._snapshot(view.state, oncall, version)

    async def _read(self, pre: Prefetched | None = None) -> tuple[Snapshot, DispatchView]:
        """One round trip: the dispatch state (the one held, while nothing in it changed), the
        queue's length and, unless the last pass found nobody free in this same state, its
        first page. None with `pre`: what the caller's own write read after itself."""
        if pre is not None:
            view, self._read_moves = pre
        else:
            known = self._held()
            quiet = known is not None and known.version == self._nobody_free
            self._read_moves = self.store.seen.moves  # as the read is sent (see _current)
            view = await self.store.dispatch_view(known, "changed" if quiet else "always", QUEUE_PAGE)
        self._hold(view.state)
        # The roster's index is rebuilt only when the head version read with the rest has moved.
        oncall, version = await self.rosters.on_call(self.clock.now(), view.state.roster_head)
        return self._snapshot(view.state, oncall, version), view

    async def _apply_then_view(self, t: Transition, into: list[Prefetched]) -> Contact:
        """Apply `t` and read, after it and in its round trip, what the pass that follows reads
        (the write frees someone); the view goes `into` the caller's hands, for its `dispatch`."""
        moves = self.store.seen.moves
        written, view = await self.store.apply_and_view(t, self._held(), QUEUE_PAGE)
        if isinstance(written, Conflict):
            raise written
        into[:] = [(view, moves)]
        return written

    async def _apply_on_guess(self, t: Transition, into: list[Prefetched] | None) -> Contact | ContactView:
        """Apply `t`, decided on the contact as this process last knew it (`store.known_view`),
        and read in its round trip the contact with its offers — handed back when the write was
        refused, to decide again on — and, with `into` (the write frees someone), what the pass
        that follows reads, as `_apply_then_view` does."""
        moves = self.store.seen.moves
        want = None if into is None else (self._held(), QUEUE_PAGE)
        written, fresh, view = await self.store.apply_on_guess(t, want)
        if isinstance(written, Conflict):
            return fresh if fresh is not None else ContactView(None, None)
        if into is not None and view is not None:
            into[:] = [(view, moves)]
        return written

    def _current(self) -> DispatchState | None:
        """The held state, when it is the very state this instance's newest write found: no
        write of this process since its read moved it (responders, presence, rosters), and no
        transition's reply — this instance's or, through them, another's — says it moved."""
        known = self._held()
        seen = self.store.seen
        if known is None or seen.moves != self._read_moves:
            return None
        return known if seen.is_state(known.version, known.roster_head) else None

    async def _still_nobody_free(self) -> bool:
        """Whether the last pass found nobody free in the very state this instance's newest write
        found (no read at all): then nobody can take anything now either, unless time alone
        changed it (a wrap-up ended, a shift began), which the held state answers here. Passes
        after an escalation or a breach, written because nobody took the contact, are mostly
        this; any write that frees someone (a close, a decline, presence, a responder, a roster)
        moves the version or the head, and the pass reads."""
        known = self._current()
        if known is None or known.version != self._nobody_free:
            return False
        oncall, version = await self.rosters.on_call(self.clock.now(), known.roster_head)
        return not self._snapshot(known, oncall, version).anyone_free()

    async def _queued(self, first: list[Contact] | None) -> AsyncGenerator[Contact, None]:
        """The whole ready queue in serving order, a page at a time (by score, so offers made
        meanwhile, which leave the queue, never make a page skip anyone)."""
        contacts = first if first is not None else await self.store.queued_contacts(QUEUE_PAGE)
        while True:
            for contact in contacts:
                yield contact
            if len(contacts) < QUEUE_PAGE:
                return
            contacts = await self.store.queued_contacts(QUEUE_PAGE, tr.queue_score(contacts[-1]))

    async def _offered(
        self, contact: Contact, chosen: list[Responder], t: Transition, now: datetime, written: Contact
    ) -> None:
        """After an offer is written: its timing, its log line, its events, the responders told."""
        self.metrics.time_to_offer.labels(contact.channel, contact.priority.value).observe(
            (now - contact.received_at).total_seconds()
        )
        log.info(
            "offered",
            contact_id=contact.id,
            responders=[r.id for r in chosen],
            offer_ids=[o.id for o in t.offers],
            time_to_offer_s=tr.seconds(contact.received_at, now),
        )
        await self._emit(written, t.events)
        for responder, o in zip(chosen, t.offers, strict=True):
            await self._safely("offer", self.notifier.offer(responder, o, written))

    async def _plan(
        self, snap: Snapshot, first: list[Contact] | None, budget: int | None
    ) -> tuple[list[Planned], datetime | None]:
        """The pass's offers, in serving order, until nobody is free or `budget` offers are made
        (`snap` takes each); and when a contact nobody could take now can be offered again."""
        planned: list[Planned] = []
        retry_at: datetime | None = None
        offers = 0
        # Closed here when the pass stops early (nobody free, budget spent): left to the loop's
        # async-generator finalizer, each one cost a task, and the simulator, whose loop never
        # runs while a simulation does, held every one (and the queue page in it) to the end.
        async with contextlib.aclosing(self._queued(first)) as queued:
            async for contact in queued:
                if contact.status != ContactStatus.queued:
                    continue
                chosen = choose_all(contact, snap, self.protocol.offer_timeout) if contact.parallel else []
                if not contact.parallel:
                    choice = choose(contact, snap, self.protocol.offer_timeout)
                    chosen = [choice.responder] if choice.responder else []
                    if choice.retry_at is not None and not chosen:
                        retry_at = min(retry_at or choice.retry_at, choice.retry_at)
                if not chosen:
                    continue
                oids = [self.id_factory("o") for _ in chosen]
                # The offer's own time, not the pass's start: a long pass must not shorten the
                # offer window or date an offer before the contact arrived.
                now = self.clock.now()
                planned.append(
                    (contact, chosen, tr.offer(contact, chosen, oids, now, self.protocol.offer_timeout), now)
                )
                for responder in chosen:
                    snap.took(responder.id, contact.channel)
                offers += len(chosen)
                if not snap.anyone_free() or (budget is not None and offers >= budget):
                    break
        return planned, retry_at

    async def _dispatch_pass(
        self, budget: int | None = None, pre: Prefetched | None = None
    ) -> tuple[int, bool]:
        if pre is None and await self._still_nobody_free():
            return 0, False
        snap, view = await self._read(pre)
        self._queue_was_empty = not view.queued
        if not snap.anyone_free():
            # Until something in the state changes, the next pass need not read the queue.
            self._nobody_free = view.state.version
            return 0, False
        self._nobody_free = None
        if not view.queued:
            return 0, False
        planned, retry_at = await self._plan(snap, view.queue, budget)
        # The pass's offers in one round trip, each still atomic and guarded on its own: one that
        # lost a race (the contact or the responder changed meanwhile) is skipped, and the pass runs again.
        made, conflicted = 0, False
        outcomes = await self.store.apply_many([t for _, _, t, _ in planned])
        self._queue_was_empty = sum(not isinstance(w, Conflict) for w in outcomes) >= view.queued
        for (contact, chosen, t, now), written in zip(planned, outcomes, strict=True):
            if isinstance(written, Conflict):
                conflicted = True
                continue
            made += len(chosen)
            await self._offered(contact, chosen, t, now, written)
        if conflicted:
            return made, True
        if retry_at is not None:
            # Up to the next whole millisecond (the store's resolution): rounding down would
            # fire before the cooldown ends, find nothing to do and re-arm the same instant.
            retry_at = from_ms(math.ceil(retry_at.timestamp() * 1000))
            # One already armed here, still to come and due no later, runs a pass that arms the
            # next itself (no other path removes a redispatch timer before it is due): a decline
            # or an offer timing out then costs no write of its own for its cooldown.
            pending = self._redispatch_at
            if pending is not None and self.clock.now() < pending <= retry_at:
                return made, False
            self._redispatch_at = retry_at
            await self.store.arm(
                [
                    Timer(
                        id=f"redispatch:{retry_at.timestamp():.3f}",
                        kind=TimerKind.redispatch,
                        due=retry_at,
                    )
                ]
            )
        return made, False


def _older(version: str, than: str) -> bool:
    """Whether the state at `version` comes before the one at `than`: the same responders'
    records, fewer dispatch steps."""
    number, _, responders = version.partition("/")
    other, _, others = than.partition("/")
    return responders == others and number.isdigit() and other.isdigit() and int(number) < int(other)
