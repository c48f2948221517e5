"""What the RedisStore's mixins (redis_queues.py, redis_setup.py) use of the store itself: the
client, the hotline's keys and the script call with its outage and replica handling."""

from __future__ import annotations

from typing import Any

from redis.commands.core import AsyncScript

from router.keys import Keys


class RedisParts:
    """Declared here for the mixins; RedisStore sets them and defines `_call`."""

    redis: Any
    k: Keys

    async def _call(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        raise NotImplementedError
