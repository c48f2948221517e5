"""The store's Redis connections (router/store/wire.py) put the same bytes on the wire as
redis-py's own, and fail the way it does."""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router.store.connect import connect
from router.store.wire import WireConnection, exchange
from tests.redis_server import RedisServer, redis_server

BIG = json.dumps({"contact": "x" * 7000, "é": "ü"})

SHAPES: list[tuple[Any, ...]] = [
    ("GET", "k"),
    ("SET", "k", "v"),
    ("CONFIG GET", "maxmemory"),  # a command name of two words goes as two
    (b"CLIENT SETNAME", b"n"),
    ("ZADD", "q", 0.1, "a", 3, "b", 1e20, "c"),
    ("EVALSHA", "a" * 40, 2, "k1", "k2", BIG, "1", "0"),
    ("SET", "k", b"\x00\xff bytes", "é"),
    ("SET", "k", memoryview(b"viewed")),  # hiredis does not pack it: redis-py's own packing does
]


@pytest.mark.parametrize("args", SHAPES, ids=lambda a: str(a[0]))
def test_packs_the_bytes_redis_py_packs(args: tuple[Any, ...]) -> None:
    mine = b"".join(bytes(p) for p in WireConnection().pack_command(*args))
    theirs = b"".join(bytes(p) for p in Connection().pack_command(*args))
    assert mine == theirs


@pytest.mark.parametrize("value", [None, True, {"a": 1}])
def test_a_value_redis_cannot_take_is_refused_as_redis_py_refuses_it(value: Any) -> None:
    with pytest.raises(DataError):
        WireConnection().pack_command("SET", "k", value)


async def test_the_store_client_round_trips_on_a_real_server(redis_srv: RedisServer) -> None:
    client = connect(redis_srv.url)
    try:
        conn = await client.connection_pool.get_connection()
        assert isinstance(conn, WireConnection)
        await client.connection_pool.release(conn)
        assert await client.eval("return ARGV[1]", 1, "wire:k", BIG) == BIG
        async with client.pipeline(transaction=False) as pipe:
            pipe.set("wire:a", "é")
            pipe.get("wire:a")
            pipe.delete("wire:a")
            assert await pipe.execute() == [True, "é", 1]
    finally:
        await client.aclose()


async def test_a_connection_the_server_dropped_is_made_again(redis_srv: RedisServer) -> None:
    client = connect(redis_srv.url)
    try:
        await client.set("wire:kept", "1")
        mine = await client.client_id()
        other = connect(redis_srv.url)
        try:
            assert await other.client_kill_filter(_id=mine) == 1
        finally:
            await other.aclose()
        # the next command finds its connection closed and comes back through redis-py's retry
        assert await client.get("wire:kept") == "1"
        assert await client.client_id() != mine
    finally:
        await client.delete("wire:kept")
        await client.aclose()


async def test_a_write_that_backs_up_waits_under_the_socket_timeout() -> None:
    # A server of its own, stopped (SIGSTOP) once connected: it reads nothing, so the kernel's
    # buffers fill, then the transport's, and the write takes redis-py's timed path.
    # (appendonly: redis_server() starts one of its own even when REDIS_URL names a shared one)
    with redis_server(appendonly=True) as srv:
        assert srv.proc is not None
        conn = WireConnection(host="127.0.0.1", port=srv.port, socket_timeout=0.3)
        await conn.connect()  # type: ignore[no-untyped-call]
        big = b"x" * (4 << 20)
        os.kill(srv.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(RedisTimeoutError):
                await _write_many(conn, big, 64)
            assert not conn.is_connected  # given up, as redis-py gives up on a timed-out write
        finally:
            os.kill(srv.proc.pid, signal.SIGCONT)


async def _write_many(conn: WireConnection, chunk: bytes, times: int) -> None:
    for _ in range(times):
        await conn.send_packed_command([chunk], check_health=False)


async def test_replies_read_from_the_buffer_are_those_redis_py_reads(redis_srv: RedisServer) -> None:
    # Errors among the replies come back in their places, as the same exception classes.
    ours, theirs = connect(redis_srv.url), Redis.from_url(redis_srv.url, decode_responses=True)
    try:
        got = []
        for client in (ours, theirs):
            async with client.pipeline(transaction=False) as pipe:
                pipe.set("wire:s", "text")
                pipe.incr("wire:s")  # an error reply: not an integer
                pipe.get("wire:s")
                pipe.evalsha("0" * 40, 0)  # NOSCRIPT
                pipe.hgetall("wire:none")
                pipe.zadd("wire:z", {"a": 1.5})
                pipe.zrange("wire:z", 0, -1, withscores=True)
                replies = await pipe.execute(raise_on_error=False)
            got.append([(type(r).__name__, r if not isinstance(r, Exception) else str(r)) for r in replies])
            await client.delete("wire:s", "wire:z")
        assert got[0] == got[1]
        assert got[0][1][0] == "ResponseError" and got[0][3][0] == "NoScriptError"
        async with ours.pipeline(transaction=False) as pipe:
            pipe.set("wire:s", "text")
            pipe.incr("wire:s")
            with pytest.raises(ResponseError):
                await pipe.execute()
    finally:
        await ours.delete("wire:s")
        await ours.aclose()
        await theirs.aclose()


async def test_a_pipelines_replies_already_buffered_arm_no_timeout(
    redis_srv: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # redis-py's own read (a timeout context per reply) runs only when a reply is not yet whole.
    own = Connection.read_response
    waited = 0

    async def counted(self: Connection, *args: Any, **kwargs: Any) -> Any:
        nonlocal waited
        waited += 1
        return await own(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "read_response", counted)
    client = connect(redis_srv.url)
    try:
        await client.set("wire:n", "0")
        waited = 0
        async with client.pipeline(transaction=False) as pipe:
            for _ in range(100):
                pipe.incr("wire:n")
            assert await pipe.execute() == list(range(1, 101))
        assert waited < 100
    finally:
        await client.delete("wire:n")
        await client.aclose()


async def test_an_exchange_answers_as_redis_pys_pipeline_does(redis_srv: RedisServer) -> None:
    # The store's script round trips (router/store/wire.py `exchange`): a reply each, an error
    # reply as its own ResponseError and the rest read on, as a pipeline that raises no error
    # (but raw: no reply callback, so SET's "OK" stays "OK"; EVALSHA and WAIT have none).
    client = connect(redis_srv.url)
    commands: list[tuple[Any, ...]] = [
        ("SET", "wire:x", "é"),
        ("EVALSHA", "0" * 40, 1, "wire:x", BIG),  # a script Redis does not hold: NOSCRIPT
        ("EVAL", "return ARGV[1]", 1, "wire:x", BIG),
        ("INCR", "wire:x"),  # not a number: an error reply
        ("GET", "wire:x"),
    ]
    try:
        mine = await exchange(client.connection_pool, commands)
        async with client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            theirs = await pipe.execute(raise_on_error=False)
        assert [type(r) for r in mine[1:]] == [type(r) for r in theirs[1:]]
        assert isinstance(mine[1], NoScriptError) and isinstance(mine[3], ResponseError)
        assert (mine[0], theirs[0]) == ("OK", True)
        assert [mine[2], mine[4]] == [theirs[2], theirs[4]] == [BIG, "é"]
        # The connection went back to the pool with nothing left to read on it.
        assert await exchange(client.connection_pool, [("GET", "wire:x")]) == ["é"]
    finally:
        await client.delete("wire:x")
        await client.aclose()


async def test_an_exchange_on_a_connection_the_server_dropped_is_sent_again(redis_srv: RedisServer) -> None:
    client = connect(redis_srv.url)
    try:
        mine = (await exchange(client.connection_pool, [("CLIENT", "ID")]))[0]
        other = connect(redis_srv.url)
        try:
            assert await other.client_kill_filter(_id=mine) == 1
        finally:
            await other.aclose()
        # The pooled connection is dead: redis-py's retry makes it again and sends the lot once more.
        again = await exchange(client.connection_pool, [("SET", "wire:y", "1"), ("CLIENT", "ID")])
        assert again[0] == "OK" and again[1] != mine
    finally:
        await client.delete("wire:y")
        await client.aclose()
