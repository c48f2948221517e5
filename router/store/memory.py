"""MemoryStore: the store in process memory, for `demo` and simulations. Same contract as Redis."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from router.clock import from_ms, to_ms
from router.models import Contact, Event, Offer, OfferStatus, Presence, Responder
from router.store.base import Store
from router.store.memory_outbox import MemoryOutbox
from router.store.memory_setup import MemorySetup
from router.store.memory_timers import MemoryTimers
from router.store.ordered import SortedScores
from router.store.records import with_rev
from router.store.seen import StateSeen
from router.store.shapes import (
    Conflict,
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    StreamInfo,
    Transition,
)


def _position(sid: str) -> tuple[int, int]:
    """A stream id `ms-n` as a sortable pair, as Redis orders them."""
    ms, _, n = sid.partition("-")
    return int(ms), int(n or 0)


class MemoryStore(MemorySetup, MemoryOutbox, MemoryTimers, Store):
    """Every method runs without awaiting in between, so each transition is atomic in one loop."""

    def __init__(self, hotline: str = "default") -> None:
        self.hotline = hotline
        self._empty()

    def clear(self) -> None:
        """Let go of everything at once: the store is as new. For a finished simulation (the
        segments' runs, simulations/segments.py): a `Simulation` is a cycle (its engine holds its
        notifier, which holds it), so what its store holds would wait for a full collection, which
        walks every record before freeing it (~0.6 s of a 3.7 s two-week segment); let go here,
        the records go as their last reference does."""
        self._empty()

    def _empty(self) -> None:
        self.seen = StateSeen()
        # Decoded records, not JSON: the engine never changes a record in place (every change is
        # a model_copy in a Transition), so what was written can be handed back as it is.
        self._contacts: dict[str, Contact] = {}
        self._revs: dict[str, int] = {}
        self._queue = SortedScores()
        self._open: dict[str, int] = {}
        self._senders: dict[str, str] = {}
        self._arrivals: dict[str, list[int]] = {}
        self._offers: dict[str, Offer] = {}
        self._contact_offers: dict[str, set[str]] = {}
        self._pending: dict[str, int] = {}
        self._load: dict[tuple[str, str], int] = {}  # only loads above zero (a pass copies them)
        self._presence: dict[str, Presence] = {}
        self._idle: dict[str, int] = {}
        self._idle_at: dict[str, datetime] = {}  # the same, decoded once (every dispatch pass reads it)
        self._dispatch_version = 1  # bumped with responders, presence, loads and idle times
        self._responders_version = 1  # bumped with responder records alone
        self._responders: dict[str, Responder] = {}
        self._events: list[tuple[str, Event]] = []
        self._event_pos: list[tuple[int, int]] = []  # parsed positions, for a binary search
        self._event_ms = 0
        self._event_n = 0
        self._seq = 0
        self._wake = asyncio.Event()
        self._appended = asyncio.Event()
        self._init_setup()
        self._init_outbox()
        self._init_timers()

    # -- transitions -------------------------------------------------------
    async def apply(self, t: Transition) -> Contact:
        cid = t.contact.id
        current = self._revs.get(cid)
        if t.expect_rev is None:
            if current is not None:
                raise Conflict("exists")
        elif current != t.expect_rev:
            raise Conflict("stale")
        for change in t.loads:
            held = self._load.get((change.responder, change.channel), 0)
            if change.delta > 0 and held + change.delta > change.capacity:
                raise Conflict("capacity")
        for rid in t.require_available:
            if self._presence.get(rid) != "available":
                raise Conflict("unavailable")
        if t.queue_empty and len(self._queue):
            raise Conflict("queue")
        self._check_guesses(t)

        rev = (current or 0) + 1
        seq = None
        if t.assign_seq:
            self._seq += 1
            seq = self._seq
        written = with_rev(t.contact, rev, seq)
        self._revs[cid] = rev
        self._contacts[cid] = written
        if t.dequeue:
            self._queue.pop(cid)
        if t.enqueue_score is not None:
            score = t.enqueue_score if seq is None else (t.score_base() or 0.0) + seq
            self._queue.set(cid, score)
        if written.is_open:
            if cid not in self._open:  # a contact's arrival never changes
                self._open[cid] = to_ms(written.received_at)
            if written.sender_key:
                self._senders[written.sender_key] = cid
        else:
            self._open.pop(cid, None)
            if written.sender_key and self._senders.get(written.sender_key) == cid:
                del self._senders[written.sender_key]
        for offer in t.offers:
            self._offers[offer.id] = offer
            self._contact_offers.setdefault(cid, set()).add(offer.id)
            if offer.status == OfferStatus.pending:
                self._pending[offer.id] = to_ms(offer.expires_at)
            else:
                self._pending.pop(offer.id, None)
        for change in t.loads:
            key = (change.responder, change.channel)
            left = self._load.get(key, 0) + change.delta
            if left > 0:
                self._load[key] = left
            else:
                self._load.pop(key, None)
        for rid, at in t.idle.items():
            self._set_idle(rid, at)
        if t.loads or t.idle:
            self._dispatch_version += 1
        for timer_id in t.disarm:
            self._timers.pop(timer_id)
            self._timer_data.pop(timer_id, None)
        self._arm(t.arm)
        for event in t.events:
            self._append(event, False)
        if t.events:
            self._appended.set()
        if t.arrival is not None:
            sender, at, forget = t.arrival
            kept = [ms for ms in self._arrivals.get(sender, []) if ms >= to_ms(forget)]
            self._arrivals[sender] = sorted([*kept, to_ms(at)])
        self.seen.saw_parts(self._dispatch_version, self._responders_version, self._head)
        return written

    def _check_guesses(self, t: Transition) -> None:
        """transition.lua's guards on what intake in one round trip, or a timer fired unclaimed, guessed."""
        t.check_numbered()
        if t.expect_head is not None and t.expect_head != self._head:
            raise Conflict("roster")
        if t.expect_responders is not None and t.expect_responders != str(self._responders_version):
            raise Conflict("responders")
        if t.expect_due is not None:
            tid, by, leased = t.expect_due
            due = self._timers.get(tid)
            if due is None or (due > to_ms(by) and due != to_ms(leased)):
                raise Conflict("timer")
        if t.first_since is not None:
            keys, since = t.first_since
            if any(ms >= to_ms(since) for k in keys for ms in self._arrivals.get(k, [])):
                raise Conflict("arrivals")

    def _append(self, event: Event, tell: bool = True) -> None:
        ms = max(to_ms(event.at), self._event_ms)
        self._event_n = self._event_n + 1 if ms == self._event_ms else 0
        self._event_ms = ms
        self._events.append((f"{ms}-{self._event_n}", event))
        self._event_pos.append((ms, self._event_n))
        if tell:
            self._appended.set()

    async def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- contacts and offers -------------------------------------------------
    async def get_contact(self, contact_id: str) -> Contact | None:
        raw = self._contacts.get(contact_id)
        return raw

    async def get_contacts(self, ids: list[str]) -> list[Contact]:
        return [self._contacts[i] for i in ids if i in self._contacts]

    async def ready_queue(self, limit: int = 500, after: float | None = None) -> list[str]:
        return self._queue.first(limit, after)

    async def queue_depth(self) -> int:
        return len(self._queue)

    async def open_contacts(self) -> list[str]:
        return [cid for cid, _ in sorted(self._open.items(), key=lambda kv: (kv[1], kv[0]))]

    async def find_open(self, sender_key: str) -> str | None:
        return self._senders.get(sender_key)

    async def arrivals(self, sender_key: str) -> list[datetime]:
        return [from_ms(ms) for ms in self._arrivals.get(sender_key, [])]

    async def contact_view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView:
        offer = self._offers.get(offer_id) if offer_id is not None else None
        if offer_id is not None:
            contact_id = offer.contact_id if offer is not None else None
        contact = self._contacts.get(contact_id) if contact_id is not None else None
        if contact is None:
            return ContactView(None, None, offer)
        offers = [self._offers[oid] for oid in contact.offer_ids if oid in self._offers]
        return ContactView(contact, offers, offer)

    async def get_offer(self, offer_id: str) -> Offer | None:
        return self._offers.get(offer_id)

    async def get_offers(self, offer_ids: list[str]) -> list[Offer]:
        return [self._offers[oid] for oid in offer_ids if oid in self._offers]

    async def pending_offers(self) -> list[Offer]:
        ordered = sorted(self._pending.items(), key=lambda kv: (kv[1], kv[0]))
        return [self._offers[oid] for oid, _ in ordered]

    # -- responders ------------------------------------------------------------
    async def put_responder(self, responder: Responder, now: datetime) -> bool:
        created = responder.id not in self._responders
        self._responders[responder.id] = responder
        self._dispatch_version += 1
        self._responders_version += 1
        if created:
            self._presence[responder.id] = "available"
            self._set_idle(responder.id, now)
        self.seen.saw_parts(self._dispatch_version, self._responders_version, self._head)
        return created

    async def get_responder(self, responder_id: str) -> Responder | None:
        raw = self._responders.get(responder_id)
        return raw

    async def list_responders(self) -> list[Responder]:
        return [self._responders[k] for k in sorted(self._responders)]

    async def set_presence(self, responder_id: str, status: Presence, now: datetime) -> None:
        previous = self._presence.get(responder_id)
        self._presence[responder_id] = status
        self._dispatch_version += 1
        if status == "available" and previous != "available":
            self._set_idle(responder_id, now)
        self.seen.saw_parts(self._dispatch_version, self._responders_version, self._head)

    def _version(self) -> str:
        return f"{self._dispatch_version}/{self._responders_version}"

    async def dispatch_state(self, records: dict[str, Responder] | None = None) -> DispatchState:
        return DispatchState(
            responders=dict(self._responders) if records is None else records,
            presence=dict(self._presence),
            loads=dict(self._load),
            idle=dict(self._idle_at),
            roster_head=self._head,
            version=self._version(),
            read_at=time.monotonic(),
        )

    async def dispatch_view(
        self, known: DispatchState | None, queue: str = "always", limit: int = 500
    ) -> DispatchView:
        changed = known is None or known.version != self._version()
        if known is None:
            state = await self.dispatch_state()
        elif changed:
            # The records are kept while only loads, presence or idle times moved.
            same = known.version.endswith(f"/{self._responders_version}")
            state = await self.dispatch_state(known.responders if same else None)
        else:
            head = self._head
            state = known if known.roster_head == head else replace(known, roster_head=head)
        asked = queue == "always" or (queue == "changed" and changed)
        page = [self._contacts[cid] for cid in self._queue.first(limit, None)] if asked else None
        return DispatchView(state, len(self._queue), page)

    async def intake_state(
        self, sender_keys: list[str], known: DispatchState | None = None, dispatch: bool = False
    ) -> IntakeState:
        arrivals = sorted(from_ms(ms) for k in sender_keys for ms in self._arrivals.get(k, []))
        self._seq += 1
        head = self._head
        if not dispatch:
            return IntakeState(arrivals, self._seq, head, None, len(self._queue))
        view = await self.dispatch_view(known, "none")
        return IntakeState(arrivals, self._seq, head, view.state, view.queued)

    async def presence(self) -> dict[str, Presence]:
        return dict(self._presence)

    async def loads(self) -> dict[tuple[str, str], int]:
        return dict(self._load)

    async def idle_since(self) -> dict[str, datetime]:
        return dict(self._idle_at)

    def _set_idle(self, rid: str, at: datetime) -> None:
        ms = to_ms(at)
        self._idle[rid] = ms
        self._idle_at[rid] = from_ms(ms)  # to the millisecond, as Redis keeps it

    # -- events --------------------------------------------------------------------
    async def read_events(self, after: str = "0", count: int = 1000) -> list[tuple[str, Event]]:
        start = bisect.bisect_right(self._event_pos, _position(after))
        chosen = self._events[start : start + count]
        return list(chosen)

    async def tail_events(self, after: str, count: int, block_s: float) -> list[tuple[str, Event]]:
        found = await self.read_events(after, count)
        if found:
            return found
        self._appended.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._appended.wait(), block_s)
        return await self.read_events(after, count)

    async def record(self, events: list[Event], done: Sequence[str] = ()) -> list[str]:
        await self.complete(*done)
        for event in events:
            self._append(event)
        return [sid for sid, _ in self._events[len(self._events) - len(events) :]] if events else []

    async def stream_info(self) -> StreamInfo:
        if not self._events:
            return StreamInfo(0, None, None)
        return StreamInfo(len(self._events), self._events[0][0], self._events[-1][0])

    async def trim_events(self, before: str) -> int:
        cut = bisect.bisect_left(self._event_pos, _position(before))
        del self._events[:cut]
        del self._event_pos[:cut]
        return cut

    async def forget_arrivals(self, before: datetime) -> int:
        cutoff, gone = to_ms(before), 0
        for sender, times in list(self._arrivals.items()):
            kept = [ms for ms in times if ms >= cutoff]
            gone += len(times) - len(kept)
            if kept:
                self._arrivals[sender] = kept
            else:
                del self._arrivals[sender]
        return gone

    async def forget_contact(self, contact_id: str) -> bool:
        if contact_id not in self._revs or contact_id in self._open or contact_id in self._queue:
            return False
        offers = self._contact_offers.get(contact_id, set())
        if any(oid in self._pending for oid in offers):
            return False
        for oid in offers:
            self._offers.pop(oid, None)
        self._contact_offers.pop(contact_id, None)
        del self._contacts[contact_id], self._revs[contact_id]
        return True

    async def ping(self) -> bool:
        return True

    async def wait_wake(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded poll
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return
        finally:
            self._wake.clear()

    async def close(self) -> None:
        return None
