"""What the RedisStore's mixins (redis_queues.py, redis_setup.py) use of the store itself: the
client, the hotline's keys and the script call with its outage and replica handling."""

from __future__ import annotations

from typing import Any

from redis.commands.core import AsyncScript

from router.keys import Keys
from router.models import Contact
from router.store.base import Conflict
from router.store.shapes import Transition

# A script's call as a pipeline sends it: the script, its keys, its arguments.
ScriptCall = tuple[AsyncScript, list[str], list[Any]]


class RedisParts:
    """Declared here for the mixins; RedisStore sets them and defines the methods."""

    redis: Any
    k: Keys

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        raise NotImplementedError

    async def _scripts_at_once(self, calls: list[ScriptCall]) -> list[Any]:
        raise NotImplementedError

    async def apply_many(self, ts: list[Transition]) -> list[Contact | Conflict]:
        raise NotImplementedError

    def _script_call(self, t: Transition) -> ScriptCall:
        raise NotImplementedError

    def _outcome(self, t: Transition, result: Any) -> Contact | Conflict:
        raise NotImplementedError
