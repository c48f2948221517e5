"""The RedisStore's reads that decide: what a dispatch pass and an intake look at, one script
call each (read_view.lua), with the parsed dispatch state reused while its version holds."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from redis.commands.core import AsyncScript

from router.clock import from_ms
from router.models import Contact, Offer, Responder
from router.store.known import Known
from router.store.records import ContactCodec
from router.store.redis_parts import RedisParts, ScriptCall, ViewParse
from router.store.seen import advance, parse_step
from router.store.shapes import ContactView, DispatchState, DispatchView, IntakeState

RESPONDER_CACHE = 2000


def _loads(raw: dict[str, str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for field, value in raw.items():
        rid, _, channel = field.rpartition("|")
        if int(value):
            out[(rid, channel)] = int(value)
    return out


def _pairs(flat: list[Any]) -> dict[str, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


class Views(RedisParts):
    """Mixed into RedisStore (which wraps every public coroutine in the outage path)."""

    codec: ContactCodec
    known: Known
    _read_view: AsyncScript
    _contact_view: AsyncScript
    _responder_cache: dict[str, Responder]

    def _view_call(
        self,
        known: DispatchState | None,
        queue: str,
        limit: int = 0,
        sender_keys: list[str] | None = None,
        want_state: bool = True,
        number: bool = True,
    ) -> tuple[list[str], list[Any]]:
        """read_view.lua's keys and arguments (see `_view`); `number`: with `sender_keys`, take
        a sequence number too."""
        k = self.k
        keys = [
            k.dispatch_version,
            k.version_head,
            k.queue,
            k.contacts,
            k.responders,
            k.presence,
            k.load,
            k.idle,
            k.arrivals,
            k.seq,
            k.responders_version,
            k.dispatch_steps,
        ]
        held = "-" if not want_state else (known.version if known is not None else "")
        numbered = sender_keys is not None and number
        return keys, [held, queue, limit, "1" if numbered else "", *(sender_keys or [])]

    async def _view(
        self,
        known: DispatchState | None,
        queue: str,
        limit: int = 0,
        sender_keys: list[str] | None = None,
        want_state: bool = True,
    ) -> tuple[DispatchState | None, int, int, list[Contact] | None, list[datetime], int]:
        """One read_view.lua call: the dispatch state unless not wanted (`known` reused while its
        version holds), the roster head, the queue's length and page; with `sender_keys`
        (intake) a new sequence number and those keys' earlier arrivals."""
        keys, args = self._view_call(known, queue, limit, sender_keys, want_state)
        reply = await self._read_view(keys=keys, args=args)
        return self._view_parse(reply, known, queue, want_state)

    def _viewed_after(self, known: DispatchState | None, limit: int) -> tuple[ScriptCall, ViewParse]:
        """What a dispatch pass reads, read after a write in its round trip: the call, and its
        reply made a view."""

        def parse(reply: Any) -> DispatchView:
            state, _, queued, page, _, _ = self._view_parse(reply, known, "always")
            assert state is not None  # a state is wanted: read whole, or `known` still holds
            return DispatchView(state, queued, page)

        keys, args = self._view_call(known, "always", limit)
        return (self._read_view, keys, args), parse

    def _view_parse(
        self, reply: Any, known: DispatchState | None, queue: str, want_state: bool = True
    ) -> tuple[DispatchState | None, int, int, list[Contact] | None, list[datetime], int]:
        (
            version,
            head,
            queued,
            changed,
            responders,
            presence,
            loads,
            idle,
            pairs,
            found,
            seq,
        ) = reply
        state: DispatchState | None = None
        if changed == 3 and known is not None:
            # Only loads and idle times moved, by transitions whose steps the store still keeps.
            number, _, part = known.version.partition("/")
            steps = [parse_step(int(number) + i + 1, part, raw) for i, raw in enumerate(responders)]
            state = replace(advance(known, steps, str(version)), roster_head=int(head))
        elif changed:
            if changed == 2 and known is not None:
                records = known.responders  # only loads, presence or idle times moved
            else:
                records = {rid: self._responder(raw) for rid, raw in sorted(_pairs(responders).items())}
            state = DispatchState(
                responders=records,
                presence=_pairs(presence),
                loads=_loads(_pairs(loads)),
                idle={rid: from_ms(float(score)) for rid, score in _pairs(idle).items()},
                roster_head=int(head),
                version=str(version),
                read_at=time.monotonic(),
            )
        elif want_state and known is not None:
            state = replace(known, roster_head=int(head))
        asked = queue == "always" or (queue == "changed" and bool(changed))
        page = [self.codec.decode(cid, raw) for cid, raw in pairs] if asked else None
        arrivals = sorted(from_ms(int(m.split("|")[1])) for members in found for m in members)
        return state, int(head), int(queued), page, arrivals, int(seq)

    async def dispatch_state(self) -> DispatchState:
        state, *_ = await self._view(None, "none")
        assert state is not None  # asked with no state held: always read whole
        return state

    async def dispatch_view(
        self, known: DispatchState | None, queue: str = "always", limit: int = 500
    ) -> DispatchView:
        state, _, queued, page, _, _ = await self._view(known, queue, limit)
        assert state is not None  # a state is wanted: read whole, or `known` still holds
        return DispatchView(state, queued, page)

    async def intake_state(
        self, sender_keys: list[str], known: DispatchState | None = None, dispatch: bool = False
    ) -> IntakeState:
        state, head, queued, _, arrivals, seq = await self._view(
            known, "none", sender_keys=sender_keys, want_state=dispatch
        )
        return IntakeState(arrivals, seq, head, state, queued)

    async def contact_view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView:
        reply = await self._contact_view(
            keys=[self.k.offers, self.k.contacts], args=[offer_id or "", contact_id or ""]
        )
        return self._contact_parse(reply, contact_id)

    def _contact_parse(self, reply: Any, contact_id: str | None) -> ContactView:
        """contact_view.lua's reply; a contact read whole with its offers is kept as known."""
        offer_raw, raw, others, listed = reply
        offer = Offer.model_validate_json(offer_raw) if offer_raw else None
        if not raw:
            return ContactView(None, None, offer)
        contact = self.codec.decode(offer.contact_id if offer is not None else str(contact_id), raw)
        offers = [Offer.model_validate_json(o) for o in others] if listed else None
        view = ContactView(contact, offers, offer)
        self.known.read(view)
        return view

    def _responder(self, raw: str) -> Responder:
        """Parsed once per distinct record: every changed state reads them all, and they rarely change."""
        found = self._responder_cache.get(raw)
        if found is None:
            if len(self._responder_cache) > RESPONDER_CACHE:
                self._responder_cache.clear()
            found = self._responder_cache[raw] = Responder.model_validate_json(raw)
        return found
