"""The RedisStore's timers, outbox and event stream: the parts other instances and the ledger
writer read in order (sorted sets leased by claim scripts, and the hotline's stream)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from redis.commands.core import AsyncScript

from router.clock import from_ms, to_ms
from router.models import Contact, Event
from router.store.base import Store
from router.store.known import Known
from router.store.records import ContactCodec
from router.store.redis_parts import RedisParts
from router.store.sealing import Sealer
from router.store.shapes import (
    Conflict,
    DispatchState,
    StreamInfo,
    Tail,
    TimerBatch,
    Transition,
)
from router.timer_models import Timer

# Arrivals looked at per call when old ones are forgotten (router/ledger/bounded.py).
ARRIVALS_PAGE = 1000


def _arrived_ms(member: str) -> float:
    """When an arrival ("key|ms|contact id") came; a member of another shape is never old."""
    parts = member.rsplit("|", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else float("inf")


def _event_name(raw: str) -> str | None:
    """An event's name read from its JSON without decoding it: the model writes `at` first and
    `event` second, compactly, so the first `"event":"` is the top-level one."""
    start = raw.find('"event":"')
    if start < 0:
        return None
    start += len('"event":"')
    end = raw.find('"', start)
    return raw[start:end] if end > start else None


class QueuesAndStream(RedisParts):
    """Mixed into RedisStore (which wraps every public coroutine in the outage path)."""

    sealer: Sealer
    codec: ContactCodec
    known: Known
    _arm_timers: AsyncScript
    _claim_ids: AsyncScript
    _claim_timers: AsyncScript
    _outbox_put: AsyncScript
    _outbox_done: AsyncScript

    # -- timers ------------------------------------------------------------------
    async def arm(self, timers: list[Timer]) -> None:
        if not timers:
            return
        self.known.armed(timers)
        args: list[Any] = [self.k.wake]
        for t in timers:
            args += [t.id, to_ms(t.due), t.model_dump_json()]
        await self._call(self._arm_timers, [self.k.timers, self.k.timer_data], args)

    async def claim_due(self, now: datetime, lease_s: float, limit: int = 100) -> list[Timer]:
        until = to_ms(now + timedelta(seconds=lease_s))
        # Lease, don't pop: one script claims timers and outgoing messages alike.
        found = await self._call(
            self._claim_ids, [self.k.timers, self.k.timer_data], [to_ms(now), until, limit]
        )
        return [Timer.model_validate_json(raw) for raw in found[1::2]]

    def known_due(self, now: datetime, limit: int) -> list[tuple[Timer, Contact]]:
        return [] if self.clustered else self.known.due(to_ms(now), limit)

    async def claim_and_apply(
        self,
        now: datetime,
        lease_s: float,
        limit: int,
        ts: list[Transition],
        view: tuple[DispatchState | None, int] | None = None,
    ) -> tuple[TimerBatch, list[Contact | Conflict]]:
        if self.clustered or not ts:
            # No scripts in a cluster pipeline (nor writes to send with the claim): the store's
            # own way, the claim, then the writes, then the view. Mixed into RedisStore only.
            return await Store.claim_and_apply(cast(Store, self), now, lease_s, limit, ts, view)
        calls = [self._claim_call(now, lease_s, limit), *(self._script_call(t) for t in ts)]
        after = self._viewed_after(*view) if view is not None else None
        replies = await self._scripts_at_once(calls + ([after[0]] if after else []))
        claim = self._claimed(replies[0])
        if after is not None:
            claim = replace(claim, view=after[1](replies[-1]))
        return claim, [self._outcome(t, r) for t, r in zip(ts, replies[1 : 1 + len(ts)], strict=True)]

    async def claim_batch(self, now: datetime, lease_s: float, limit: int = 100) -> TimerBatch:
        return self._claimed(await self._call(*self._claim_call(now, lease_s, limit)))

    def _claim_call(
        self, now: datetime, lease_s: float, limit: int
    ) -> tuple[AsyncScript, list[str], list[Any]]:
        """claim_timers.lua's call: the script, its keys, its arguments."""
        k = self.k
        until = to_ms(now + timedelta(seconds=lease_s))
        return (
            self._claim_timers,
            [k.timers, k.timer_data, k.contacts, k.version_head],
            [to_ms(now), until, limit],
        )

    def _claimed(self, reply: Any) -> TimerBatch:
        claimed, records, earliest, head = reply
        return TimerBatch(
            timers=[Timer.model_validate_json(raw) for raw in claimed[1::2]],
            contacts={
                cid: self.codec.decode(cid, raw) for cid, raw in zip(records[::2], records[1::2], strict=True)
            },
            next_due=from_ms(int(float(earliest))) if earliest else None,
            roster_head=int(head or 0),
        )

    async def complete(self, *timer_ids: str) -> None:
        if not timer_ids:
            return
        self.known.completed(timer_ids)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.k.timers, *timer_ids)
            pipe.hdel(self.k.timer_data, *timer_ids)
            await pipe.execute()

    async def next_due(self) -> datetime | None:
        head = await self.redis.zrange(self.k.timers, 0, 0, withscores=True)
        return from_ms(head[0][1]) if head else None

    async def timers(self) -> list[Timer]:
        ids = await self.redis.zrange(self.k.timers, 0, -1)
        if not ids:
            return []
        raws = await self.redis.hmget(self.k.timer_data, ids)
        return [Timer.model_validate_json(r) for r in raws if r]

    # -- outbox ------------------------------------------------------------------
    def _outbox_keys(self) -> list[str]:
        k = self.k
        return [k.outbox, k.outbox_data, k.outbox_groups, k.outbox_waiting]

    async def outbox_put(self, item_id: str, due: datetime, payload: str, group: str | None = None) -> None:
        args = [item_id, to_ms(due), self.sealer.seal(payload), group or ""]
        await self._call(self._outbox_put, self._outbox_keys(), args)

    async def outbox_claim(self, now: datetime, lease_s: float, limit: int = 50) -> list[tuple[str, str]]:
        # The timers' lease script serves any "sorted set of due ids + hash of their data".
        ids_and_data = await self._call(
            self._claim_ids,
            [self.k.outbox, self.k.outbox_data],
            [to_ms(now), to_ms(now + timedelta(seconds=lease_s)), limit],
        )
        return [
            (oid, self.sealer.open(raw))
            for oid, raw in zip(ids_and_data[::2], ids_and_data[1::2], strict=True)
        ]

    async def outbox_done(self, item_id: str) -> None:
        await self._call(self._outbox_done, self._outbox_keys(), [item_id])

    async def outbox_size(self) -> int:
        return int(await self.redis.hlen(self.k.outbox_data))

    # -- events --------------------------------------------------------------------
    async def read_events(self, after: str = "0", count: int = 1000) -> list[tuple[str, Event]]:
        start = "(" + after if after != "0" else "-"
        rows = await self.redis.xrange(self.k.events, min=start, max="+", count=count)
        return [(sid, Event.model_validate_json(fields["e"])) for sid, fields in rows]

    async def tail_events(self, after: str, count: int, block_s: float) -> list[tuple[str, Event]]:
        # A blocked XREAD holds one pooled connection for at most block_s; nothing else waits on it.
        found = await self.redis.xread({self.k.events: after}, count=count, block=max(1, int(block_s * 1000)))
        if not found:
            return []
        rows = found[0][1] if isinstance(found, list) else next(iter(found.values()))[0]
        return [(sid, Event.model_validate_json(fields["e"])) for sid, fields in rows]

    async def tail_wanted(
        self, after: str, count: int, block_s: float, wanted: Callable[[str], bool]
    ) -> Tail:
        found = await self.redis.xread({self.k.events: after}, count=count, block=max(1, int(block_s * 1000)))
        if not found:
            return Tail(None, 0, [])
        rows = found[0][1] if isinstance(found, list) else next(iter(found.values()))[0]
        kept = []
        for sid, fields in rows:
            name = _event_name(fields["e"])
            if name is None or wanted(name):
                event = Event.model_validate_json(fields["e"])
                if wanted(event.event):
                    kept.append((sid, event))
        return Tail(rows[-1][0], len(rows), kept)

    async def record(self, events: list[Event], done: Sequence[str] = ()) -> list[str]:
        self.known.completed(done)
        if not events and not done:
            return []
        async with self.redis.pipeline(transaction=True) as pipe:
            for event in events:
                pipe.xadd(self.k.events, {"e": event.model_dump_json()})
            if done:
                pipe.zrem(self.k.timers, *done)
                pipe.hdel(self.k.timer_data, *done)
            return cast(list[str], (await pipe.execute())[: len(events)])

    async def stream_info(self) -> StreamInfo:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.k.events)
            pipe.xrange(self.k.events, count=1)
            pipe.xrevrange(self.k.events, count=1)
            length, first, last = await pipe.execute()
        return StreamInfo(int(length), first[0][0] if first else None, last[0][0] if last else None)

    async def trim_events(self, before: str) -> int:
        return int(await self.redis.xtrim(self.k.events, minid=before, approximate=False))

    async def forget_arrivals(self, before: datetime) -> int:
        """A pass over every arrival ("key|ms|contact", ordered by key, so not by time) a page
        at a time: no call holds Redis for long, however many one-time senders built up."""
        cutoff, gone, cursor = to_ms(before), 0, 0
        while True:
            cursor, page = await self.redis.zscan(self.k.arrivals, cursor, count=ARRIVALS_PAGE)
            old = [member for member, _ in page if _arrived_ms(member) < cutoff]
            if old:
                gone += int(await self.redis.zrem(self.k.arrivals, *old))
            if not cursor:
                return gone
