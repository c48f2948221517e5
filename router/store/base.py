"""The store interface: one atomic `apply(Transition)` plus reads. Two backends pass one contract."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from router.models import Activation, Contact, Event, FeedRecord, Offer, Presence, Responder, TokenRecord
from router.store.seen import StateSeen
from router.store.shapes import (
    Conflict,
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    Lock,
    StreamInfo,
    Tail,
    TimerBatch,
    Transition,
)
from router.timer_models import Timer
from schedules import Roster, RosterVersion


class Store(abc.ABC):
    """Live state of one hotline."""

    hotline: str
    # The dispatch state and roster head as this process's newest write found them (a store
    # whose writes do not say leaves it as made, matching no state: every dispatch pass reads).
    seen: StateSeen

    # -- transitions -------------------------------------------------------
    @abc.abstractmethod
    async def apply(self, t: Transition) -> Contact:
        """Apply atomically; return the contact as written (rev bumped). Raises Conflict."""

    async def apply_many(self, ts: list[Transition]) -> list[Contact | Conflict]:
        """Apply each transition atomically on its own, all in one round trip (where the store
        allows): per transition, the contact as written or the Conflict that left it unwritten
        (a burst of timers)."""
        results: list[Contact | Conflict] = []
        for t in ts:
            try:
                results.append(await self.apply(t))
            except Conflict as conflict:
                results.append(conflict)
        return results

    async def apply_and_view(
        self, t: Transition, known: DispatchState | None, limit: int = 500
    ) -> tuple[Contact | Conflict, DispatchView]:
        """Apply (as `apply_many` does one) and then read what a dispatch pass reads, as
        `dispatch_view(known, "always", limit)` — after the write, in one round trip where the
        store allows: a write that frees someone is followed by a pass that needs no read."""
        try:
            written: Contact | Conflict = await self.apply(t)
        except Conflict as conflict:
            written = conflict
        return written, await self.dispatch_view(known, "always", limit)

    def known_view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView | None:
        """The contact (by id, or the one `offer_id` names) with its offers as this process last
        wrote or read them, where the store keeps them (Redis): a guess for a change to be
        written under its revision (`apply_on_guess`), never an answer to anyone."""
        return None

    async def apply_on_guess(
        self, t: Transition, dispatch: tuple[DispatchState | None, int] | None = None
    ) -> tuple[Contact | Conflict, ContactView | None, DispatchView | None]:
        """Apply `t`, decided on `known_view`'s guess, and read in the same round trip (where the
        store allows) the contact with its offers — handed back only when `t` was refused, to
        decide again on — and, with `dispatch` (the state held, the queue page's size), what a
        dispatch pass reads after the write (as `apply_and_view`)."""
        try:
            written: Contact | Conflict = await self.apply(t)
        except Conflict as conflict:
            written = conflict
        fresh = await self.contact_view(t.contact.id) if isinstance(written, Conflict) else None
        view = None if dispatch is None else await self.dispatch_view(dispatch[0], "always", dispatch[1])
        return written, fresh, view

    # Whether `intake_and_view` is one round trip here (Redis; not Cluster, whose pipelines take
    # no scripts): intake then writes what it guessed and reads only when a guess was wrong.
    one_trip_intake = False
    # Whether the timer loop may claim a burst's next batch while this one's writes run (a
    # server's own time; never the embedded store, whose calls take none and keep their order).
    overlapped_bursts = False

    async def intake_and_view(
        self, t: Transition, known: DispatchState | None, sender_keys: list[str], state: bool = True
    ) -> tuple[Contact | Conflict, IntakeState]:
        """Apply an intake (guarded on its guesses, router/receiving.py) and then read what
        intake decides on, as `intake_state(sender_keys, known, dispatch=state)` but taking no
        sequence number (seq 0): after the write, in one round trip where the store allows.
        Without `state`, no dispatch state (the roster head, the queue's length and the
        arrivals only: a read that costs the store next to nothing)."""
        try:
            written: Contact | Conflict = await self.apply(t)
        except Conflict as conflict:
            written = conflict
        return written, replace(await self.intake_state(sender_keys, known, dispatch=state), seq=0)

    @abc.abstractmethod
    async def next_seq(self) -> int: ...

    # -- contacts and offers -----------------------------------------------
    @abc.abstractmethod
    async def get_contact(self, contact_id: str) -> Contact | None: ...

    @abc.abstractmethod
    async def get_contacts(self, ids: list[str]) -> list[Contact]: ...

    @abc.abstractmethod
    async def ready_queue(self, limit: int = 500, after: float | None = None) -> list[str]:
        """Ids of contacts ready to be offered, in the order they will be served (only those
        whose queue score is above `after`, when given)."""

    async def queued_contacts(self, limit: int = 500, after: float | None = None) -> list[Contact]:
        """The contacts `ready_queue` names, in serving order (one round trip where it can)."""
        return await self.get_contacts(await self.ready_queue(limit, after))

    @abc.abstractmethod
    async def queue_depth(self) -> int: ...

    @abc.abstractmethod
    async def open_contacts(self) -> list[str]:
        """Ids of every open contact, oldest first."""

    @abc.abstractmethod
    async def find_open(self, sender_key: str) -> str | None:
        """The open contact of the person with this keyed address hash, if any."""

    @abc.abstractmethod
    async def arrivals(self, sender_key: str) -> list[datetime]:
        """Earlier arrivals of the person with this keyed hash (those not yet forgotten)."""

    async def intake_state(
        self, sender_keys: list[str], known: DispatchState | None = None, dispatch: bool = False
    ) -> IntakeState:
        """Arrivals under every key, a new sequence number and the roster head; with `dispatch`,
        also the dispatch state (`known` when unchanged) and the queue's length (one round trip
        where the store allows: intake's only read before its one write)."""
        arrivals = sorted([t for k in sender_keys for t in await self.arrivals(k)])
        seq, head = await self.next_seq(), await self.head_version()
        if not dispatch:
            return IntakeState(arrivals, seq, head)
        view = await self.dispatch_view(known, "none")
        return IntakeState(arrivals, seq, head, view.state, view.queued)

    async def contact_view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView:
        """The contact (by id, or the one `offer_id` names, with that offer) and its offers, all
        as of one instant (one round trip where the store allows)."""
        offer = await self.get_offer(offer_id) if offer_id is not None else None
        cid = offer.contact_id if offer is not None else (contact_id if offer_id is None else None)
        contact = await self.get_contact(cid) if cid is not None else None
        offers = await self.get_offers(contact.offer_ids) if contact is not None else None
        return ContactView(contact, offers, offer)

    @abc.abstractmethod
    async def get_offer(self, offer_id: str) -> Offer | None: ...

    async def get_offers(self, offer_ids: list[str]) -> list[Offer]:
        """The offers that exist among `offer_ids`, in that order (one round trip where it can)."""
        found = [await self.get_offer(oid) for oid in offer_ids]
        return [o for o in found if o is not None]

    @abc.abstractmethod
    async def pending_offers(self) -> list[Offer]:
        """Every pending offer, soonest to expire first."""

    # -- responders ----------------------------------------------------------
    @abc.abstractmethod
    async def put_responder(self, responder: Responder, now: datetime) -> bool:
        """Create or replace; True when created. A new responder starts available and idle."""

    @abc.abstractmethod
    async def get_responder(self, responder_id: str) -> Responder | None: ...

    @abc.abstractmethod
    async def list_responders(self) -> list[Responder]: ...

    @abc.abstractmethod
    async def dispatch_state(self) -> DispatchState:
        """Responders, presence, loads, idle times and the roster head, all at one instant."""

    async def dispatch_view(
        self, known: DispatchState | None, queue: str = "always", limit: int = 500
    ) -> DispatchView:
        """The dispatch state (`known` itself when its version still holds), the queue's length
        and its first `limit` contacts: `queue` is "always", "changed" (only when the state
        changed) or "none" (one round trip where the store allows)."""
        state = await self.dispatch_state()
        changed = known is None or known.version != state.version
        if not changed and known is not None:
            state = replace(known, roster_head=state.roster_head)
        asked = queue == "always" or (queue == "changed" and changed)
        page = await self.queued_contacts(limit) if asked else None
        return DispatchView(state, await self.queue_depth(), page)

    @abc.abstractmethod
    async def set_presence(self, responder_id: str, status: Presence, now: datetime) -> None: ...

    @abc.abstractmethod
    async def presence(self) -> dict[str, Presence]: ...

    @abc.abstractmethod
    async def loads(self) -> dict[tuple[str, str], int]: ...

    @abc.abstractmethod
    async def idle_since(self) -> dict[str, datetime]: ...

    # -- timers --------------------------------------------------------------
    @abc.abstractmethod
    async def arm(self, timers: list[Timer]) -> None:
        """Arm timers outside a contact transition (shift changes, redispatch); idempotent by id."""

    @abc.abstractmethod
    async def claim_due(self, now: datetime, lease_s: float, limit: int = 100) -> list[Timer]:
        """Claim due timers: each is leased (pushed to now + lease) until completed."""

    def known_due(self, now: datetime, limit: int) -> list[tuple[Timer, Contact]]:
        """Timers this process's own writes armed, due by `now`, each with its contact as last
        written or read here (router/store/known.py says which), where the store keeps them
        (Redis, not Cluster): guesses for `claim_and_apply`, taken off as handed out."""
        return []

    async def claim_and_apply(
        self,
        now: datetime,
        lease_s: float,
        limit: int,
        ts: list[Transition],
        view: tuple[DispatchState | None, int] | None = None,
    ) -> tuple[TimerBatch, list[Contact | Conflict]]:
        """`claim_batch`, then each of `ts` applied as `apply_many` does (timers fired on
        `known_due`'s guesses, guarded by `expect_due` with this claim's lease end), then with
        `view` (known state, queue page) what `dispatch_view` reads, as the batch's `view`: in
        one round trip where the store allows. The claim holds every timer due, the guessed ones
        included: a guess refused is then fired on the claim's read."""
        claim, outcomes = await self.claim_batch(now, lease_s, limit), await self.apply_many(ts)
        if view is not None:
            claim = replace(claim, view=await self.dispatch_view(view[0], "always", view[1]))
        return claim, outcomes

    async def claim_batch(self, now: datetime, lease_s: float, limit: int = 100) -> TimerBatch:
        """`claim_due`, and the claimed timers' contacts, the next due time and the roster head
        (one round trip where the store allows)."""
        timers = await self.claim_due(now, lease_s, limit)
        ids = list(dict.fromkeys(t.contact_id for t in timers if t.contact_id))
        contacts = {c.id: c for c in await self.get_contacts(ids)}
        return TimerBatch(timers, contacts, await self.next_due(), await self.head_version())

    @abc.abstractmethod
    async def complete(self, *timer_ids: str) -> None:
        """Forget these timers (done, or stale); one write for any number."""

    @abc.abstractmethod
    async def next_due(self) -> datetime | None: ...

    @abc.abstractmethod
    async def timers(self) -> list[Timer]: ...

    # -- outbox ----------------------------------------------------------------
    @abc.abstractmethod
    async def outbox_put(self, item_id: str, due: datetime, payload: str, group: str | None = None) -> None:
        """Queue (or re-queue, same id) an outgoing message to be sent at `due`. Messages of one
        `group` (one recipient) leave one at a time in the order of their ids: a later one is
        not due, on any instance, until every earlier one is done — retries included."""

    @abc.abstractmethod
    async def outbox_claim(self, now: datetime, lease_s: float, limit: int = 50) -> list[tuple[str, str]]:
        """Claim due messages (id, payload), each leased until done or re-queued, as timers are."""

    @abc.abstractmethod
    async def outbox_done(self, item_id: str) -> None:
        """Sent or given up: gone, and the next message of its group (if any) falls due."""

    @abc.abstractmethod
    async def outbox_size(self) -> int:
        """Messages not yet done, whether due or waiting behind their group's earlier ones."""

    # -- events ----------------------------------------------------------------
    @abc.abstractmethod
    async def read_events(self, after: str = "0", count: int = 1000) -> list[tuple[str, Event]]:
        """Events after stream position `after`, oldest first, with their positions."""

    @abc.abstractmethod
    async def tail_events(self, after: str, count: int, block_s: float) -> list[tuple[str, Event]]:
        """Like read_events, but waits up to `block_s` for an event after `after` to appear
        (every instance's live views follow the shared stream with it)."""

    async def tail_wanted(
        self, after: str, count: int, block_s: float, wanted: Callable[[str], bool]
    ) -> Tail:
        """`tail_events`, keeping the events whose name `wanted` accepts (a store that can tell
        the name without decoding the event skips decoding the rest)."""
        rows = await self.tail_events(after, count, block_s)
        return Tail(rows[-1][0] if rows else None, len(rows), [(i, e) for i, e in rows if wanted(e.event)])

    @abc.abstractmethod
    async def record(self, events: list[Event], done: Sequence[str] = ()) -> list[str]:
        """Append events that belong to no contact transition (audit, pages); their positions.
        `done`: timers completed in the same write (owed pages cleared as their record lands)."""

    @abc.abstractmethod
    async def stream_info(self) -> StreamInfo: ...

    @abc.abstractmethod
    async def trim_events(self, before: str) -> int:
        """Drop every event at a position before `before` (already in the ledger); how many went."""

    @abc.abstractmethod
    async def forget_contact(self, contact_id: str) -> bool:
        """Remove a finished contact, its revision and its offers from live state. False (and
        nothing removed) when it is unknown or still open: only the ledger keeps it then."""

    @abc.abstractmethod
    async def forget_arrivals(self, before: datetime) -> int:
        """Forget every person's arrivals older than `before` (their keyed hashes leave live
        state once no rule looks back that far); how many went."""

    # -- rosters ----------------------------------------------------------------
    @abc.abstractmethod
    async def put_draft(self, name: str, roster: Roster) -> None: ...

    @abc.abstractmethod
    async def get_draft(self, name: str) -> Roster | None: ...

    @abc.abstractmethod
    async def publish(self, version: RosterVersion) -> None:
        """Store a new version; it must be exactly one more than the newest (Conflict if not)."""

    @abc.abstractmethod
    async def latest_version(self) -> RosterVersion | None: ...

    @abc.abstractmethod
    async def get_version(self, number: int) -> RosterVersion | None: ...

    @abc.abstractmethod
    async def head_version(self) -> int:
        """The newest published version number (0 when none): cheap, for cache checks."""

    # -- auth ---------------------------------------------------------------------
    @abc.abstractmethod
    async def put_token(self, token_hash: str, record: TokenRecord) -> None: ...

    @abc.abstractmethod
    async def get_token(self, token_hash: str) -> TokenRecord | None: ...

    # -- leadership and lifecycle ------------------------------------------------
    @abc.abstractmethod
    async def acquire_leader(self, owner: str, ttl_s: float, lock: Lock = "jobs") -> bool:
        """Take or renew a lock for `owner`; False when another owner holds it. Two locks: the
        jobs' leader, and the ledger writer's (`ledger`), held independently."""

    @abc.abstractmethod
    async def release_leader(self, owner: str, lock: Lock = "jobs") -> bool:
        """Let go of a lock `owner` holds (stopping: whoever waits for it need not wait out its
        time to live); True when it did. Another owner's lock is never touched."""

    @abc.abstractmethod
    async def activate_protocol(self, text: str, activation: Activation) -> None:
        """Keep the file's text under its version, make it the one in force, append history."""

    @abc.abstractmethod
    async def active_protocol(self) -> tuple[str, str] | None:
        """(version, text) of the protocol in force, if one was ever activated."""

    @abc.abstractmethod
    async def protocol_text(self, version: str) -> str | None: ...

    @abc.abstractmethod
    async def protocol_history(self) -> list[Activation]: ...

    @abc.abstractmethod
    async def put_feed(self, secret_hash: str, record: FeedRecord) -> None: ...

    @abc.abstractmethod
    async def get_feed(self, secret_hash: str) -> FeedRecord | None: ...

    @abc.abstractmethod
    async def delete_feed(self, secret_hash: str) -> bool:
        """Revoke; True when the feed existed."""

    @abc.abstractmethod
    async def mark_once(self, name: str, ttl_s: float) -> bool:
        """True the first time `name` is marked within `ttl_s`; False while the mark lasts."""

    @abc.abstractmethod
    async def ping(self) -> bool: ...

    async def wait_wake(self, timeout: float) -> None:  # noqa: B027, ASYNC109 - optional bounded poll
        """Block until a timer is armed elsewhere or `timeout` passes (best effort)."""

    @abc.abstractmethod
    async def close(self) -> None: ...
