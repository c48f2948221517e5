"""Redis connections from a URL: one server, a Sentinel-watched master, or a Cluster."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    ReadOnlyError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router.store.wire import WireConnection, WireSentinelConnection

SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")

# What an outage or a failover looks like from the client: nothing was decided, try again later.
OUTAGE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    ReadOnlyError,
    ClusterDownError,
    TryAgainError,
    OSError,
)


class BadRedisUrl(ValueError):
    """The URL cannot name a Redis deployment; the message says what form is expected."""


def connection_options() -> dict[str, Any]:
    """How every connection behaves: retry a dropped connection with backoff (restarts, failovers)."""
    return {
        "decode_responses": True,
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=8),
        # A restarted Redis answers LOADING while it reads its AOF: wait, don't fail the request.
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, BusyLoadingError],
        "health_check_interval": 15,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 10.0,
    }


def connect(url: str, max_connections: int = 64) -> Any:
    """A client for `url`. Callers queue for a connection rather than fail when a burst (say
    200 intakes the moment Redis comes back) wants more than `max_connections` at once."""
    if url.startswith("redis+sentinel://"):
        return sentinel_master(url)
    if url.startswith("redis+cluster://"):
        return cluster(url)
    if not url.startswith(SCHEMES):
        raise BadRedisUrl(f"{url!r} is not a {', '.join(SCHEMES)} URL")
    # redis:// connections go onto the wire more cheaply (router/store/wire.py); a rediss:// or
    # unix:// URL names its own connection class, which the URL's options keep.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=20,
        connection_class=WireConnection,
        **connection_options(),
    )
    return aioredis.Redis.from_pool(pool)


def sentinel_master(url: str) -> aioredis.Redis:
    """`redis+sentinel://[:password@]host:port,host:port/service[/db][?sentinel_password=…]`:
    the master the Sentinels name now. After a failover the pool asks them again, and a
    connection to the demoted master (READONLY) is dropped and retried on the new one."""
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2]
    password = unquote(parts.password) if parts.password else None
    sentinels = _addresses(hosts, "sentinel")
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise BadRedisUrl("a redis+sentinel:// URL names the master's service: …/mymaster[/db]")
    db = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
    query = parse_qs(parts.query)
    sentinel_kwargs: dict[str, Any] = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
    if "sentinel_password" in query:
        sentinel_kwargs["password"] = query["sentinel_password"][0]
    manager = Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs, **connection_options())  # type: ignore[no-untyped-call]
    client: aioredis.Redis = manager.master_for(
        path[0], db=db, password=password, max_connections=512, connection_class=WireSentinelConnection
    )
    return client


def _addresses(netloc: str, what: str) -> list[tuple[str, int]]:
    found = []
    for host in netloc.rpartition("@")[2].split(","):
        name, _, port = host.strip().rpartition(":")
        if not name or not port.isdigit():
            raise BadRedisUrl(f"{what} address {host!r} in the Redis URL must be host:port")
        found.append((name, int(port)))
    return found


def cluster(url: str) -> RedisCluster:
    """`redis+cluster://[:password@]host:port,host:port`: a Redis Cluster serving many hotlines.
    Every key of one hotline carries its hash tag, so each transition stays on one shard."""
    parts = urlsplit(url)
    nodes = [ClusterNode(host, port) for host, port in _addresses(parts.netloc, "cluster node")]
    password = unquote(parts.password) if parts.password else None
    options = connection_options()
    return RedisCluster(
        startup_nodes=nodes,
        password=password,
        max_connections=512,
        decode_responses=True,
        retry=options["retry"],
        retry_on_error=options["retry_on_error"],
        socket_connect_timeout=options["socket_connect_timeout"],
        socket_timeout=options["socket_timeout"],
    )
