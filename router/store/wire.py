"""redis-py's connections with a cheaper way onto the wire, same replies and same errors.

Two costs of redis-py's asyncio connection showed in every profile of a transition, per command:

- packing: `pack_command` encodes argument by argument in Python, copying the growing buffer for
  each one (~33 us for a transition's EVALSHA with its ~2.5 KB payload on the benchmark machine);
  hiredis, already a dependency, packs the same bytes in C (~5 us);
- writing: with a socket timeout set, every write runs under `asyncio.wait_for`, a new task per
  command (~30-55 us per command measured, `python -m simulations.bench.wire`), although a write to a
  socket whose buffer is empty hands the bytes to the kernel at once and `drain()` returns at
  once. Here the write goes straight to the transport in that case; when bytes are still
  buffered (a slow or stalled server) it takes redis-py's own path, timeout and all.

Everything else (connecting, health checks, reading, retries, errors) is redis-py's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import hiredis
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.sentinel import SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class Wire:
    """Mixed in before a redis-py asyncio Connection class."""

    _writer: Any

    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        # As redis-py: a command name with spaces ('CONFIG GET') goes as separate words.
        if isinstance(first, str):
            if " " in first:
                args = (*first.split(), *args[1:])
        elif isinstance(first, bytes) and b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            # A value hiredis does not pack (memoryview, an invalid type): redis-py's own packing,
            # which handles it or raises its own DataError.
            packed: list[bytes] = super().pack_command(*args)  # type: ignore[misc]
            return packed

    async def send_packed_command(
        self, command: str | bytes | Iterable[bytes], check_health: bool = True
    ) -> None:
        """redis-py's `send_packed_command` (connect, health check, write, the same errors), with
        the write's timeout only where a write can wait. Never calls redis-py's own, so a round
        trip passes through exactly one of SENDERS' methods (the benchmarks count them there)."""
        plain: Any = super()
        if not plain.is_connected:
            await plain.connect_check_health(check_health=False)
        if check_health:
            await plain.check_health()
        if isinstance(command, str):
            command = command.encode()
        if isinstance(command, bytes):
            command = [command]
        try:
            if self._ready():
                self._writer.writelines(command)
            else:
                await asyncio.wait_for(plain._send_packed_command(command), plain.socket_timeout)
        except TimeoutError:
            await plain.disconnect(nowait=True)
            raise RedisTimeoutError("Timeout writing to socket") from None
        except OSError as exc:
            await plain.disconnect(nowait=True)
            err, msg = ("UNKNOWN", exc.args[0]) if len(exc.args) == 1 else exc.args[:2]
            raise RedisConnectionError(f"Error {err} while writing to socket. {msg}.") from exc
        except BaseException:
            # Part of a command may be on the wire: the connection cannot be used again.
            await plain.disconnect(nowait=True)
            raise

    def _ready(self) -> bool:
        """Connected, open, and nothing waiting in the transport's buffer: a write goes out now."""
        writer = self._writer
        if writer is None:
            return False
        transport = writer.transport
        return not transport.is_closing() and not transport.get_write_buffer_size()


# Every round trip of the store's clients is one call of one of these methods: redis-py's own
# (Cluster's connections, rediss:// and unix:// URLs) or the Wire's. Counters patch both.
SENDERS: tuple[type, ...] = (AbstractConnection, Wire)


class WireConnection(Wire, Connection):
    pass


class WireSentinelConnection(Wire, SentinelManagedConnection):
    pass
