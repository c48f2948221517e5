"""The MemoryStore's set-up records: rosters, tokens, leadership, protocols, feeds and marks
(as redis_setup.py is the RedisStore's)."""

from __future__ import annotations

import asyncio

from router.models import Activation, FeedRecord, TokenRecord
from router.store.seen import StateSeen
from router.store.shapes import Conflict, Lock
from schedules import Roster, RosterVersion

MARKS_SWEEP_AT = 10_000


class MemorySetup:
    """Mixed into MemoryStore."""

    seen: StateSeen

    def _init_setup(self) -> None:
        self._drafts: dict[str, str] = {}
        self._versions: dict[int, str] = {}
        self._head = 0  # the newest version's number (versions are numbered 1, 2, ... in turn)
        self._tokens: dict[str, str] = {}
        self._leaders: dict[str, tuple[str, float]] = {}
        self._marks: dict[str, float] = {}
        self._feeds: dict[str, str] = {}
        self._protocols: dict[str, str] = {}
        self._protocol_active: str | None = None
        self._protocol_history: list[str] = []

    # -- rosters ----------------------------------------------------------------------
    async def put_draft(self, name: str, roster: Roster) -> None:
        self._drafts[name] = roster.model_dump_json()

    async def get_draft(self, name: str) -> Roster | None:
        raw = self._drafts.get(name)
        return Roster.model_validate_json(raw) if raw else None

    async def publish(self, version: RosterVersion) -> None:
        if version.version != self._head + 1:
            raise Conflict("version")
        self._versions[version.version] = version.model_dump_json()
        self._head = version.version
        self.seen.moved()  # dispatch's held roster head is not the head any more

    async def latest_version(self) -> RosterVersion | None:
        return await self.get_version(self._head) if self._head else None

    async def get_version(self, number: int) -> RosterVersion | None:
        raw = self._versions.get(number)
        return RosterVersion.model_validate_json(raw) if raw else None

    async def head_version(self) -> int:
        return self._head

    # -- auth ---------------------------------------------------------------------------
    async def put_token(self, token_hash: str, record: TokenRecord) -> None:
        self._tokens[token_hash] = record.model_dump_json()

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        raw = self._tokens.get(token_hash)
        return TokenRecord.model_validate_json(raw) if raw else None

    # -- leadership and lifecycle --------------------------------------------------------
    async def acquire_leader(self, owner: str, ttl_s: float, lock: Lock = "jobs") -> bool:
        loop_now = asyncio.get_running_loop().time()
        held = self._leaders.get(lock)
        if held and held[0] != owner and held[1] > loop_now:
            return False
        self._leaders[lock] = (owner, loop_now + ttl_s)
        return True

    async def release_leader(self, owner: str, lock: Lock = "jobs") -> bool:
        held = self._leaders.get(lock)
        if held is None or held[0] != owner or held[1] <= asyncio.get_running_loop().time():
            return False
        del self._leaders[lock]
        return True

    async def activate_protocol(self, text: str, activation: Activation) -> None:
        self._protocols[activation.version] = text
        self._protocol_active = activation.version
        self._protocol_history.append(activation.model_dump_json())

    async def active_protocol(self) -> tuple[str, str] | None:
        if self._protocol_active is None:
            return None
        return self._protocol_active, self._protocols[self._protocol_active]

    async def protocol_text(self, version: str) -> str | None:
        return self._protocols.get(version)

    async def protocol_history(self) -> list[Activation]:
        return [Activation.model_validate_json(raw) for raw in self._protocol_history]

    async def put_feed(self, secret_hash: str, record: FeedRecord) -> None:
        self._feeds[secret_hash] = record.model_dump_json()

    async def get_feed(self, secret_hash: str) -> FeedRecord | None:
        raw = self._feeds.get(secret_hash)
        return FeedRecord.model_validate_json(raw) if raw else None

    async def delete_feed(self, secret_hash: str) -> bool:
        return self._feeds.pop(secret_hash, None) is not None

    async def mark_once(self, name: str, ttl_s: float) -> bool:
        now = asyncio.get_running_loop().time()
        until = self._marks.get(name)
        if until is not None and until > now:
            return False
        if len(self._marks) >= MARKS_SWEEP_AT:
            # Marks expire as Redis keys with a TTL do: a long-running memory:// instance that
            # marks every delivered message must not keep them all.
            self._marks = {k: v for k, v in self._marks.items() if v > now}
        self._marks[name] = now + ttl_s
        return True
