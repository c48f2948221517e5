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

- reading: every reply is read under a new timeout context, although after a pipeline's first
  reply the rest are usually already in hiredis's buffer. A plain connection (`WireConnection`)
  hands back a reply the buffer holds whole at once; when it must wait for bytes it takes
  redis-py's own path, timeout and all.

Everything else (connecting, health checks, retries, errors) is redis-py's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import hiredis
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.sentinel import SentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

try:  # what hiredis's reader returns for a reply not yet whole (redis-py's own marker)
    from redis._parsers.hiredis import NOT_ENOUGH_DATA
except ImportError:  # pragma: no cover - an older redis-py: every read takes its own path
    NOT_ENOUGH_DATA = None


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


class BufferedReads:
    """Mixed in before a plain redis-py asyncio Connection (not Sentinel's, whose own
    read_response turns a demoted master's READONLY into a reconnect)."""

    _parser: Any
    health_check_interval: float
    next_health_check: float

    async def read_response(
        self,
        disable_decoding: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - redis-py's own signature
        *,
        disconnect_on_error: bool = True,
        push_request: bool | None = False,
    ) -> Any:
        """A reply hiredis already holds whole: returned (or raised) as redis-py would, with no
        timeout armed for a read that cannot wait. Anything else: redis-py's own read."""
        plain: Any = super()
        reader = getattr(self._parser, "_reader", None)
        whole = NOT_ENOUGH_DATA
        if reader is not None and NOT_ENOUGH_DATA is not None and getattr(self._parser, "_connected", False):
            whole = reader.gets(False) if disable_decoding else reader.gets()
        if whole is NOT_ENOUGH_DATA:
            return await plain.read_response(
                disable_decoding, timeout, disconnect_on_error=disconnect_on_error, push_request=push_request
            )
        push = getattr(self._parser, "_hiredis_PushNotificationType", None)
        if push is not None and isinstance(whole, push):  # RESP3: handled as the parser does
            whole = await self._parser.handle_push_response(whole)
            if not push_request:
                return await self.read_response(
                    disable_decoding, timeout, disconnect_on_error=disconnect_on_error
                )
        broken = whole if isinstance(whole, RedisConnectionError) else None
        if isinstance(whole, list) and whole and isinstance(whole[0], RedisConnectionError):
            broken = whole[0]
        if broken is not None:
            if disconnect_on_error:
                await plain.disconnect(nowait=True)
            raise broken
        if self.health_check_interval:
            self.next_health_check = asyncio.get_running_loop().time() + self.health_check_interval
        if isinstance(whole, ResponseError):
            raise whole from None
        return whole


class WireConnection(Wire, BufferedReads, Connection):
    pass


class WireSentinelConnection(Wire, SentinelManagedConnection):
    pass


async def exchange(pool: Any, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
    """`commands` in one round trip on one of `pool`'s connections: a reply each, an error reply
    as its ResponseError. What redis-py's pipeline does for them (the same packing, reads, retry
    of a dropped connection with the client's backoff, and release to the pool) without its
    command stack, per-command options and callbacks, fieldset preflight and timings: ~40% of
    the client's CPU for a round trip of one script call (`EVALSHA` has no reply callback)."""
    conn = await pool.get_connection()
    try:
        replies: list[Any] = await conn.retry.call_with_retry(
            lambda: _exchange(conn, commands), lambda error: conn.disconnect()
        )
        return replies
    finally:
        await pool.release(conn)


async def _exchange(conn: Any, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
    await conn.send_packed_command(conn.pack_commands(commands))
    replies: list[Any] = []
    for _ in commands:
        try:
            replies.append(await conn.read_response())
        except ResponseError as exc:
            replies.append(exc)  # read whole: the next reply is this connection's to read
    return replies
