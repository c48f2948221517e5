"""RedisStore: live state in Redis, every transition one Lua script, shared by any number of instances."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar, cast

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from router.clock import from_ms, to_ms
from router.keys import Keys
from router.models import Contact, Offer, Presence, Responder
from router.store import redis_transition
from router.store.base import Store
from router.store.connect import OUTAGE, connect
from router.store.grouped import GroupCommit, raise_first
from router.store.known import Known
from router.store.records import ContactCodec, with_rev
from router.store.redis_parts import ScriptCall
from router.store.redis_queues import QueuesAndStream
from router.store.redis_setup import SetupRecords
from router.store.redis_views import Views, _loads
from router.store.scripts import lua
from router.store.sealing import Sealer
from router.store.seen import StateSeen
from router.store.shapes import (
    Conflict,
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    StoreUnavailable,
    Transition,
)
from router.store.wire import exchange

# Only for tests and a first run: production sets SAFETYNET_SECRET_KEY.
DEVELOPMENT_SECRET = "safetynet-development-key"  # noqa: S105 - a development default


REPLICA_WAIT_MS = 500
REPLICA_RECHECK_S = 10.0
P = ParamSpec("P")
R = TypeVar("R")


def _outage_is_unavailable(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Every store call, reads included, reports an outage as StoreUnavailable (an API 503)."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except OUTAGE as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    return call


class RedisStore(Views, QueuesAndStream, SetupRecords, Store):
    def __init__(
        self,
        client: aioredis.Redis,
        hotline: str = "default",
        sealer: Sealer | None = None,
        wait_replicas: int = 0,
    ) -> None:
        self.hotline = hotline
        self.seen = StateSeen()
        self.known = Known()
        self.wait_replicas = wait_replicas
        self._replicas_missing_until = 0.0
        self._responder_cache: dict[str, Responder] = {}
        self.sealer = sealer or Sealer([DEVELOPMENT_SECRET])
        self.codec = ContactCodec(self.sealer)
        # redis-py's stubs type every async reply as a sync/async, bytes/str union; replies are
        # decoded strings here (decode_responses) and validated by pydantic at this boundary.
        self.redis: Any = client
        self.clustered = isinstance(client, RedisCluster)
        self.one_trip_intake = self.overlapped_bursts = not self.clustered
        self.k = Keys(hotline)
        self._transition = self._script("transition.lua")
        self._arm_timers = self._script("arm_timers.lua")
        self._put_responder = self._script("put_responder.lua")
        self._set_presence = self._script("set_presence.lua")
        self._publish = self._script("publish_roster.lua")
        self._leader = self._script("leader.lua")
        self._release_leader = self._script("release_leader.lua")
        self._server_time = self._script("server_time.lua")
        self._forget = self._script("forget_contact.lua")
        self._claim_ids = self._script("claim_leased.lua")
        self._queue_head = self._script("queue_head.lua")
        self._read_view = self._script("read_view.lua")
        self._contact_view = self._script("contact_view.lua")
        self._claim_timers = self._script("claim_timers.lua")
        self._outbox_put = self._script("outbox_put.lua")
        self._outbox_done = self._script("outbox_done.lua")
        self._pubsub: PubSub | None = None
        self._grouped = GroupCommit[ScriptCall](self._send_scripts)

    @classmethod
    def from_url(cls, url: str, hotline: str = "default", sealer: Sealer | None = None) -> RedisStore:
        return cls(connect(url), hotline, sealer)

    def _script(self, name: str) -> AsyncScript:
        script: AsyncScript = self.redis.register_script(lua(name))
        return script

    # -- transitions -------------------------------------------------------
    def _script_call(self, t: Transition, view: bool = False) -> ScriptCall:
        """transition.lua's call for `t`: the script, its keys, its arguments (`view`: a refusal
        carries the contact with its offers as they stand)."""
        return (
            self._transition,
            redis_transition.keys(self.k, t),
            redis_transition.args(t, self.codec, self.k.wake, view),
        )

    def _outcome(self, t: Transition, result: Any) -> Contact | Conflict:
        status, value = result[0], result[1]
        if status != "ok":
            self.codec.wrote(t.contact, None)
            return Conflict(str(value))
        if len(result) > 3 and result[2]:
            self.seen.saw(str(result[2]), int(result[3]))
            if t.loads or t.idle:
                self.seen.stepped(str(result[2]), t.loads, t.idle)
        written = with_rev(t.contact, int(value), int(result[4]) if t.assign_seq else None)
        self.known.wrote(t, written)
        self.codec.wrote(t.contact, written.rev)
        return written

    async def apply(self, t: Transition) -> Contact:
        result = await self._call(*self._script_call(t))
        outcome = self._outcome(t, result)
        if isinstance(outcome, Conflict):
            raise outcome
        return outcome

    async def _apply_one(self, t: Transition) -> Contact | Conflict:
        try:
            return await self.apply(t)
        except Conflict as conflict:
            return conflict

    async def apply_many(self, ts: list[Transition]) -> list[Contact | Conflict]:
        if not ts:
            return []
        if self.clustered:
            # redis-py refuses EVALSHA in a cluster pipeline: one call each, all in flight at once.
            return list(await asyncio.gather(*(self._apply_one(t) for t in ts)))
        replies = await self._scripts_at_once([self._script_call(t) for t in ts])
        return [self._outcome(t, r) for t, r in zip(ts, replies, strict=True)]

    async def apply_and_view(
        self, t: Transition, known: DispatchState | None, limit: int = 500
    ) -> tuple[Contact | Conflict, DispatchView]:
        if self.clustered:
            return await super().apply_and_view(t, known, limit)  # no scripts in a cluster pipeline
        call, parse = self._viewed_after(known, limit)
        written, viewed = await self._scripts_at_once([self._script_call(t), call])
        return self._outcome(t, written), parse(viewed)

    def known_view(self, contact_id: str | None = None, offer_id: str | None = None) -> ContactView | None:
        return self.known.view(contact_id, offer_id)

    async def apply_on_guess(
        self, t: Transition, dispatch: tuple[DispatchState | None, int] | None = None
    ) -> tuple[Contact | Conflict, ContactView | None, DispatchView | None]:
        if self.clustered:
            return await super().apply_on_guess(t, dispatch)
        # A refusal carries the contact as it stands (transition.lua's `view`): no read of its own.
        calls = [self._script_call(t, view=True)]
        if dispatch is not None:
            calls.append((self._read_view, *self._view_call(dispatch[0], "always", dispatch[1])))
        replies = await self._scripts_at_once(calls)
        written = self._outcome(t, replies[0])
        fresh = None
        if isinstance(written, Conflict):
            fresh = self._contact_parse(["", *replies[0][2:5]], t.contact.id)
        view = None
        if dispatch is not None:
            state, _, queued, page, _, _ = self._view_parse(replies[1], dispatch[0], "always")
            assert state is not None  # a state is wanted: read whole, or the one held still holds
            view = DispatchView(state, queued, page)
        return written, fresh, view

    async def intake_and_view(
        self, t: Transition, known: DispatchState | None, sender_keys: list[str], state: bool = True
    ) -> tuple[Contact | Conflict, IntakeState]:
        if self.clustered:
            return await super().intake_and_view(t, known, sender_keys, state)
        view_keys, view_args = self._view_call(known, "none", 0, sender_keys, state, number=False)
        written, viewed = await self._scripts_at_once(
            [self._script_call(t), (self._read_view, view_keys, view_args)]
        )
        found, head, queued, _, arrivals, _ = self._view_parse(viewed, known, "none", state)
        return self._outcome(t, written), IntakeState(arrivals, 0, head, found, queued)

    def _waiting(self) -> bool:
        """Whether writes wait for a replica now. Behind Sentinel, a write the master acknowledged
        but never replicated is lost when a replica is promoted: WAIT in the same round trip, so
        a transition returns once a replica holds it too. When none answers within the wait (the
        replica is down, or was just promoted and has none yet), writes go on without waiting
        for a while rather than each paying the wait: the hotline keeps answering on the master."""
        return bool(self.wait_replicas) and time.monotonic() >= self._replicas_missing_until

    async def _scripts_at_once(self, calls: list[ScriptCall]) -> list[Any]:
        """Several script calls in one round trip, shared with other callers' (grouped.py); their
        replies, or the first call's error."""
        return raise_first(await self._grouped.run(calls))

    async def _send_scripts(self, calls: Sequence[ScriptCall]) -> list[Any]:
        """Script calls (and WAIT for a replica, see `_waiting`) in one round trip (wire.exchange;
        by EVALSHA: redis-py's pipelined scripts ask SCRIPT EXISTS first); a call's own error as its
        reply. A script Redis no longer holds is loaded and its calls sent again (NOSCRIPT)."""
        wait = self._waiting()
        replies: list[Any] = [None] * len(calls)
        acked: Any = None
        todo = list(range(len(calls)))
        for attempt in range(2):
            commands = [
                ("EVALSHA", script.sha, len(keys), *keys, *args)
                for script, keys, args in (calls[i] for i in todo)
            ]
            if wait:
                commands.append(("WAIT", self.wait_replicas, REPLICA_WAIT_MS))
            got = await exchange(self.redis.connection_pool, commands)
            if wait:
                acked = got.pop()
            for i, reply in zip(todo, got, strict=True):
                replies[i] = reply
            missing = [i for i in todo if isinstance(replies[i], NoScriptError)]
            if not missing or attempt:
                break
            for script in {id(calls[i][0]): calls[i][0] for i in missing}.values():
                await self.redis.script_load(script.script)
            todo = missing
        if wait and int(acked) < self.wait_replicas:
            self._replicas_missing_until = time.monotonic() + REPLICA_RECHECK_S
        return replies

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        if not self._waiting():
            return await script(keys=keys, args=args)
        return (await self._scripts_at_once([(script, keys, args)]))[0]

    async def next_seq(self) -> int:
        return int(await self.redis.incr(self.k.seq))

    # -- contacts and offers -------------------------------------------------
    async def get_contact(self, contact_id: str) -> Contact | None:
        raw = await self.redis.hget(self.k.contacts, contact_id)
        return self.codec.decode(contact_id, raw) if raw else None

    async def get_contacts(self, ids: list[str]) -> list[Contact]:
        if not ids:
            return []
        raws = await self.redis.hmget(self.k.contacts, ids)
        return [self.codec.decode(cid, r) for cid, r in zip(ids, raws, strict=True) if r]

    async def ready_queue(self, limit: int = 500, after: float | None = None) -> list[str]:
        if after is None:
            return cast(list[str], await self.redis.zrange(self.k.queue, 0, limit - 1))
        found = await self.redis.zrangebyscore(self.k.queue, f"({after!r}", "+inf", start=0, num=limit)
        return cast(list[str], found)

    async def queue_depth(self) -> int:
        return int(await self.redis.zcard(self.k.queue))

    async def open_contacts(self) -> list[str]:
        return cast(list[str], await self.redis.zrange(self.k.open, 0, -1))

    async def find_open(self, sender_key: str) -> str | None:
        found: str | None = await self.redis.hget(self.k.senders, sender_key)
        return found

    async def arrivals(self, sender_key: str) -> list[datetime]:
        members = await self.redis.zrangebylex(self.k.arrivals, f"[{sender_key}|", f"[{sender_key}|~")
        return [from_ms(int(m.split("|")[1])) for m in members]

    async def queued_contacts(self, limit: int = 500, after: float | None = None) -> list[Contact]:
        lower = "-inf" if after is None else f"({after!r}"
        pairs = await self._queue_head(keys=[self.k.queue, self.k.contacts], args=[lower, limit])
        return [self.codec.decode(cid, raw) for cid, raw in pairs]

    async def get_offer(self, offer_id: str) -> Offer | None:
        raw = await self.redis.hget(self.k.offers, offer_id)
        return Offer.model_validate_json(raw) if raw else None

    async def get_offers(self, offer_ids: list[str]) -> list[Offer]:
        if not offer_ids:
            return []
        raws = await self.redis.hmget(self.k.offers, offer_ids)
        return [Offer.model_validate_json(raw) for raw in raws if raw]

    async def pending_offers(self) -> list[Offer]:
        ids = await self.redis.zrange(self.k.pending, 0, -1)
        if not ids:
            return []
        raws = await self.redis.hmget(self.k.offers, ids)
        return [Offer.model_validate_json(r) for r in raws if r]

    # -- responders ------------------------------------------------------------
    async def put_responder(self, responder: Responder, now: datetime) -> bool:
        k = self.k
        try:
            created = await self._call(
                self._put_responder,
                [k.responders, k.presence, k.idle, k.dispatch_version, k.responders_version],
                [responder.id, responder.model_dump_json(), to_ms(now)],
            )
        finally:
            self.seen.moved()  # written, or perhaps written: a state read before is not the state
        return bool(created)

    async def get_responder(self, responder_id: str) -> Responder | None:
        raw = await self.redis.hget(self.k.responders, responder_id)
        return Responder.model_validate_json(raw) if raw else None

    async def list_responders(self) -> list[Responder]:
        raws: dict[str, str] = await self.redis.hgetall(self.k.responders)
        return [Responder.model_validate_json(raws[k]) for k in sorted(raws)]

    async def set_presence(self, responder_id: str, status: Presence, now: datetime) -> None:
        try:
            await self._call(
                self._set_presence,
                [self.k.presence, self.k.idle, self.k.dispatch_version],
                [responder_id, status, to_ms(now)],
            )
        finally:
            self.seen.moved()

    async def presence(self) -> dict[str, Presence]:
        return cast(dict[str, Presence], await self.redis.hgetall(self.k.presence))

    async def loads(self) -> dict[tuple[str, str], int]:
        return _loads(await self.redis.hgetall(self.k.load))

    async def idle_since(self) -> dict[str, datetime]:
        pairs = await self.redis.zrange(self.k.idle, 0, -1, withscores=True)
        return {rid: from_ms(score) for rid, score in pairs}

    async def forget_contact(self, contact_id: str) -> bool:
        k = self.k
        keys = [k.contacts, k.revs, k.open, k.queue, k.offers, k.pending, k.contact_offers(contact_id)]
        self.codec.forget(contact_id)
        self.known.forget(contact_id)
        return bool(await self._call(self._forget, keys, [contact_id]))

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except OUTAGE:
            return False

    async def wait_wake(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded poll
        try:
            if self._pubsub is None:
                self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(self.k.wake)
            await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except OUTAGE:
            # A lost subscription is rebuilt next time; the caller's timeout still bounds the wait.
            if self._pubsub is not None:
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None

    async def close(self) -> None:
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
        await self.redis.aclose()


# Wrap every public coroutine of the store and its mixins, so no call can forget the outage path (the audit
# found plain reads answering 500 around a Redis restart). ping and wait_wake answer for
# themselves; close must not raise.
_OWN = [c for c in RedisStore.__mro__ if c.__module__.startswith("router.store.redis")]
for _name in sorted({n for c in _OWN for n in vars(c)}):
    _method = getattr(RedisStore, _name)  # as the class resolves it: the most derived definition
    public = not _name.startswith("_") and _name not in ("ping", "wait_wake", "close")
    if public and inspect.iscoroutinefunction(_method):
        setattr(RedisStore, _name, _outage_is_unavailable(_method))
