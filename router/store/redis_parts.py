"""What the RedisStore's mixins (redis_queues.py, redis_setup.py) use of the store itself: the
client, the hotline's keys and the script call with its outage and replica handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.commands.core import AsyncScript

from router.keys import Keys
from router.models import Contact
from router.store.shapes import Conflict, DispatchState, DispatchView, Transition

# A script's call as a pipeline sends it: the script, its keys, its arguments.
ScriptCall = tuple[AsyncScript, list[str], list[Any]]
# How a read_view.lua reply becomes what a dispatch pass reads.
ViewParse = Callable[[Any], DispatchView]


class RedisParts:
    """Declared here for the mixins; RedisStore sets them and defines the methods."""

    redis: Any
    # Whether `redis` is a Redis Cluster client, asked once: redis-py's client classes are
    # typing Protocols, and an isinstance against one took a slow path on every call.
    clustered: bool
    k: Keys

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        raise NotImplementedError

    async def _scripts_at_once(self, calls: list[ScriptCall]) -> list[Any]:
        raise NotImplementedError

    def _script_call(self, t: Transition) -> ScriptCall:
        raise NotImplementedError

    def _outcome(self, t: Transition, result: Any) -> Contact | Conflict:
        raise NotImplementedError

    def _viewed_after(self, known: DispatchState | None, limit: int) -> tuple[ScriptCall, ViewParse]:
        """read_view.lua's call for what a dispatch pass reads, and how its reply becomes a view
        (router/store/redis_views.py)."""
        raise NotImplementedError
