"""The RedisStore's set-up records: roster drafts and versions, tokens, the leader lock, protocol
activations, calendar feeds and once-only marks. Small, rarely written, read by every instance."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.commands.core import AsyncScript

from router.models import Activation, FeedRecord, TokenRecord
from router.store.redis_parts import RedisParts
from router.store.shapes import Conflict, Lock
from schedules import Roster, RosterVersion


class SetupRecords(RedisParts):
    """Mixed into RedisStore (which wraps every public coroutine in the outage path)."""

    _publish: AsyncScript
    _leader: AsyncScript
    _release_leader: AsyncScript
    _server_time: AsyncScript

    # -- rosters ----------------------------------------------------------------------
    async def put_draft(self, name: str, roster: Roster) -> None:
        await self.redis.hset(self.k.drafts, name, roster.model_dump_json())

    async def get_draft(self, name: str) -> Roster | None:
        raw = await self.redis.hget(self.k.drafts, name)
        return Roster.model_validate_json(raw) if raw else None

    async def publish(self, version: RosterVersion) -> None:
        ok = await self._call(
            self._publish,
            [self.k.versions, self.k.version_head],
            [version.version, version.model_dump_json()],
        )
        if not ok:
            raise Conflict("version")

    async def latest_version(self) -> RosterVersion | None:
        head = await self.head_version()
        return await self.get_version(head) if head else None

    async def get_version(self, number: int) -> RosterVersion | None:
        raw = await self.redis.hget(self.k.versions, str(number))
        return RosterVersion.model_validate_json(raw) if raw else None

    async def head_version(self) -> int:
        return int(await self.redis.get(self.k.version_head) or 0)

    # -- auth ---------------------------------------------------------------------------
    async def put_token(self, token_hash: str, record: TokenRecord) -> None:
        await self.redis.hset(self.k.tokens, token_hash, record.model_dump_json())

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        raw = await self.redis.hget(self.k.tokens, token_hash)
        return TokenRecord.model_validate_json(raw) if raw else None

    # -- leadership and lifecycle --------------------------------------------------------
    async def acquire_leader(self, owner: str, ttl_s: float, lock: Lock = "jobs") -> bool:
        return bool(await self._call(self._leader, [self.k.lock(lock)], [owner, int(ttl_s * 1000)]))

    async def release_leader(self, owner: str, lock: Lock = "jobs") -> bool:
        return bool(await self._call(self._release_leader, [self.k.lock(lock)], [owner]))

    async def server_time(self) -> datetime:
        """The clock of the server holding this hotline (router/skew.py compares the instance's)."""
        seconds, micros = await self._call(self._server_time, [self.k.seq], [])
        return datetime.fromtimestamp(int(seconds), UTC).replace(microsecond=int(micros))

    async def activate_protocol(self, text: str, activation: Activation) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.k.protocols, activation.version, text)
            pipe.set(self.k.protocol_active, activation.version)
            pipe.rpush(self.k.protocol_history, activation.model_dump_json())
            await pipe.execute()

    async def active_protocol(self) -> tuple[str, str] | None:
        version = await self.redis.get(self.k.protocol_active)
        if not version:
            return None
        text = await self.redis.hget(self.k.protocols, version)
        return (version, text) if text is not None else None

    async def protocol_text(self, version: str) -> str | None:
        text: str | None = await self.redis.hget(self.k.protocols, version)
        return text

    async def protocol_history(self) -> list[Activation]:
        return [
            Activation.model_validate_json(r) for r in await self.redis.lrange(self.k.protocol_history, 0, -1)
        ]

    async def put_feed(self, secret_hash: str, record: FeedRecord) -> None:
        await self.redis.hset(self.k.feeds, secret_hash, record.model_dump_json())

    async def get_feed(self, secret_hash: str) -> FeedRecord | None:
        raw = await self.redis.hget(self.k.feeds, secret_hash)
        return FeedRecord.model_validate_json(raw) if raw else None

    async def delete_feed(self, secret_hash: str) -> bool:
        return bool(await self.redis.hdel(self.k.feeds, secret_hash))

    async def mark_once(self, name: str, ttl_s: float) -> bool:
        return bool(await self.redis.set(self.k.once(name), "1", nx=True, px=int(ttl_s * 1000)))
