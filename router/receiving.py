"""Intake on the engine: triage, the one write that persists, enqueues and arms a new contact
(with its offer when nobody waits ahead of it and someone free suits it), and what follows.

Intake decides on the person's earlier arrivals (repeat rule, flood limit), a sequence number,
the roster in force and the dispatch state. Where the store allows (Redis, not Cluster) it reads
none of them first: it guesses — no earlier arrival, the roster and dispatch state this instance
last saw, nobody waiting — and writes with each guess guarded, the store numbering the contact
in the same script, while the same round trip reads them after the write. A wrong guess writes
nothing: the contact is decided again on what that read found and written in a second round
trip, which is what every intake cost before. Elsewhere (the embedded store, Cluster, no state
held yet) intake reads in one round trip and writes in another.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from router import intake
from router import transitions as tr
from router.dispatcher import Snapshot, choose, choose_all
from router.dispatching import Dispatching
from router.models import Contact, ContactIn, ContactStatus, Responder
from router.owed_pages import danger, owed_id
from router.store import SEQ_TO_ASSIGN, Conflict, DispatchState, IntakeState, Transition
from router.trusted_records import evolve

log = structlog.get_logger("router")

# Intake guesses only on a dispatch state read this recently (its idle times order who is
# offered first; what other instances changed since is not in it). Under load every intake reads
# it, after its write; a quieter instance reads first, in a round trip that costs it nothing.
GUESS_WITHIN_S = 1.0
# Nor need it read the state whole after every write: within this long of its last such read
# the write's trip reads only the roster head, the queue's length and the sender's arrivals,
# and the held state goes forward by this instance's own writes. Under load a whole read after
# every intake (all responders' presence, loads and idle times) was a tenth of its CPU.
REFRESH_S = 0.05
# A guess refused on one of these found the held state wrong: what intake decides again on is
# read whole first (a third round trip when the write's own trip did not read it).
STATE_GUARDS = frozenset({"capacity", "unavailable", "responders"})
# The offer folded into intake's write: the merged transition, whom it offers, the offer alone.
AtIntake = tuple[Transition, list[Responder], Transition]


@dataclass(frozen=True)
class Decided:
    built: intake.Intake
    offer: AtIntake | None


class Receiving(Dispatching):
    """The engine's intake, on top of its dispatch."""

    async def intake(self, incoming: ContactIn) -> Contact:
        """Triage, persist, enqueue and arm every timer in one step; then dispatch."""
        now = self.clock.now()
        # The address is hashed once: the first key is the one the contact is stored under.
        keys = self.keyring.sender_keys(incoming.channel, incoming.sender)
        held = self._held()
        recent = time.monotonic() - self._read_last <= GUESS_WITHIN_S
        if self.store.one_trip_intake and held is not None and recent and incoming.callback_for is None:
            decided, written = await self._guessed(incoming, keys, now, held)
        else:
            # One round trip reads what intake decides on (arrivals under every listed key, a
            # sequence number, the roster head, and dispatch's state with the queue's length).
            found = await self.store.intake_state(keys, held, dispatch=True)
            self._saw(found)
            decided = await self._decide(incoming, keys, now, found)
            written = await self._write_intake(decided)
        return await self._received(decided, written, now)

    async def _guessed(
        self, incoming: ContactIn, keys: list[str], now: datetime, held: DispatchState
    ) -> tuple[Decided, Contact]:
        """Intake written on what this instance last saw, guarded on it, and read after in the
        same round trip; decided again on that read, and written again, when a guess was wrong."""
        guess = IntakeState([], 0, held.roster_head, held, 0 if self._queue_was_empty else 1)
        decided = await self._decide(incoming, keys, now, guess)
        since = now - intake.arrival_memory(self.protocol)
        for t in [decided.built.transition, *([decided.offer[0]] if decided.offer else [])]:
            t.expect_head, t.first_since = held.roster_head, (keys, since)
        if decided.offer is not None:
            decided.offer[0].expect_responders = held.version.partition("/")[2]
        tried = decided.offer[0] if decided.offer is not None else decided.built.transition
        # One whole read at a time: the intakes decided while it is on its way read light (at
        # saturation, 42% of them had each asked for one until the first came back).
        moment = time.monotonic()
        whole = moment - max(self._read_last, self._whole_asked) >= REFRESH_S
        if whole:
            self._whole_asked = moment
        written, found = await self.store.intake_and_view(tried, held, keys, state=whole)
        self._saw(found)
        if not isinstance(written, Conflict):
            return decided, written
        self.metrics.intake_guesses_missed.labels(written.reason).inc()
        if found.dispatch is None:
            if written.reason in STATE_GUARDS:
                found = await self.store.intake_state(keys, self._held(), dispatch=True)
                self._saw(found)
            else:
                found = replace(found, dispatch=self._held())
        decided = await self._decide(incoming, keys, now, found, again=decided)
        return decided, await self._write_intake(decided)

    def _saw(self, found: IntakeState) -> None:
        """What intake's read found, kept for the next: the dispatch state (or, read without it,
        the roster head), whether anyone waits."""
        if found.dispatch is not None:
            self._hold(found.dispatch)
        else:
            self._hold_head(found.roster_head)
        self._queue_was_empty = not found.queued

    async def _decide(
        self,
        incoming: ContactIn,
        keys: list[str],
        now: datetime,
        found: IntakeState,
        again: Decided | None = None,
    ) -> Decided:
        """The new contact and its one write, on what intake read (or guessed): with its offer
        when nobody waits ahead and someone free can take it. Numbered by the store in the write
        when what was read took no sequence number. Decided `again` (a guess was wrong, nothing
        was written): under the same contact id and, as far as they go, the same offer ids."""
        p = self.protocol
        memory = p.repeat_window or intake.DEFAULT_MEMORY
        intake.check_flood(incoming, found.arrivals, now, self.sender_limit)
        previous = [t for t in found.arrivals if t >= now - memory]
        oncall, roster_version = await self.rosters.on_call(now, found.roster_head)
        seq = found.seq or SEQ_TO_ASSIGN
        cid = again.built.contact.id if again is not None else self.id_factory("c")
        built = intake.build(incoming, p, now, cid, seq, roster_version, keys[0], previous)
        built.transition.assign_seq = not found.seq
        offer = None
        if found.dispatch is not None and not found.queued:
            snap = self._snapshot(found.dispatch, oncall, roster_version)
            used = [o.id for o in again.offer[2].offers] if again is not None and again.offer else []
            offer = self._offer_at_intake(built.transition, snap, used)
        return Decided(built, offer)

    def _offer_at_intake(self, t: Transition, snap: Snapshot, used: list[str]) -> AtIntake | None:
        """A new contact's offer folded into intake's own write, when someone free suits it (the
        caller has seen nobody waiting ahead of it; the write is guarded on that): the merged
        transition, whom it offers and the offer alone (for what follows the write). Its offer
        ids are `used` first (an intake decided again), then new ones."""
        if not snap.anyone_free():
            return None
        contact = t.contact
        timeout = self.protocol.offer_timeout
        if contact.parallel:
            chosen = choose_all(contact, snap, timeout)
        else:
            choice = choose(contact, snap, timeout)
            chosen = [choice.responder] if choice.responder else []
        if not chosen:
            return None
        oids = [used[i] if i < len(used) else self.id_factory("o") for i in range(len(chosen))]
        offered = tr.offer(contact, chosen, oids, contact.received_at, timeout)
        merged = Transition(
            contact=offered.contact,
            expect_rev=None,
            offers=offered.offers,
            loads=offered.loads,
            require_available=offered.require_available,
            idle=offered.idle,
            arm=[*t.arm, *offered.arm],
            events=[*t.events, *offered.events],
            arrival=t.arrival,
            queue_empty=True,
            assign_seq=t.assign_seq,
        )
        return merged, chosen, offered

    async def _write_intake(self, decided: Decided) -> Contact:
        """Intake's one write: with its offer when there is one and its guards hold, else as is."""
        if decided.offer is not None:
            try:
                return await self.store.apply(decided.offer[0])
            except Conflict:
                pass  # someone queued meanwhile, or the responder was taken
        return await self.store.apply(decided.built.transition)

    async def _received(self, decided: Decided, written: Contact, now: datetime) -> Contact:
        """What follows intake's write: its metric and log line, its events, the offer it made
        told, imminent danger paged, and a dispatch pass when it was queued."""
        built, offer = decided.built, decided.offer
        if written.status == ContactStatus.queued:
            offer = None  # the offer's guard did not hold: queued as usual, dispatch decides
        self.metrics.contacts.labels(written.channel, written.priority.value).inc()
        log.info(
            "contact_received",
            contact_id=written.id,
            channel=written.channel,
            priority=written.priority.value,
            flags=written.flags,
            rules=list(built.triage.rules),
        )
        await self._emit(written, built.transition.events)
        if offer is not None:
            _, chosen, offered = offer
            await self._offered(built.transition.contact, chosen, offered, now, written)
        if built.triage.page_now:
            # Imminent danger: the supervisor hears now, not when the ladder would have got there.
            await self.page(
                written,
                list(built.triage.page_now),
                list(built.triage.page_via),
                "imminent_danger",
                owed=owed_id(danger(written.id)),
            )
        if offer is None:
            await self.dispatch()
        else:
            # As received: the offer made in the same write follows it on the timeline.
            return evolve(built.transition.contact, {"rev": written.rev, "seq": written.seq})
        return written  # as intake wrote it (queued); dispatch may already have offered it
