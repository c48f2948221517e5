"""deploy/redis/redis.conf and sentinel.conf run by real redis-server processes, as compose
starts them (names pointed at loopback): the three Sentinels find the master and the replica
and agree they could fail it over."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from simulations.bench._procs import free_port, stop_process
from tests.deploy.tools import DEPLOY

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"


def start(stack: ExitStack, args: list[str], folder: Path, name: str) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: scripts/ensure-system.sh installs it")
    log = stack.enter_context((folder / f"{name}.log").open("wb"))
    proc = subprocess.Popen([binary, *args], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    stack.callback(stop_process, proc)


def ping(port: int) -> redis.Redis:
    client = redis.Redis(host=HOST, port=port, decode_responses=True, socket_timeout=2)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[int, int, list[int]]]:
    master, replica = free_port(), free_port()
    sentinels = [free_port() for _ in range(3)]
    conf = str(DEPLOY / "redis" / "redis.conf")
    sentinel_text = (DEPLOY / "redis" / "sentinel.conf").read_text(encoding="utf-8")
    sentinel_text = sentinel_text.replace("redis-master 6379", f"{HOST} {master}")
    with ExitStack() as stack:
        for port, extra in (
            (master, []),
            (replica, ["--replicaof", HOST, str(master)]),
        ):
            folder = tmp_path / str(port)
            folder.mkdir()
            start(
                stack,
                [conf, "--port", str(port), "--bind", HOST, "--dir", str(folder), *extra],
                folder,
                "redis",
            )
            ping(port)
        for port in sentinels:
            folder = tmp_path / str(port)
            folder.mkdir()
            # Each Sentinel rewrites its own copy, as compose's first start makes one per volume.
            own = folder / "sentinel.conf"
            own.write_text(sentinel_text.replace("port 26379", f"port {port}\nbind {HOST}"), encoding="utf-8")
            start(stack, [str(own), "--sentinel"], folder, "sentinel")
            ping(port)
        yield master, replica, sentinels


def test_sentinels_agree_on_the_master_and_see_the_replica(cluster: tuple[int, int, list[int]]) -> None:
    master, replica, sentinels = cluster
    client = ping(sentinels[0])
    deadline = time.monotonic() + 30
    while True:
        # Each Sentinel learns of the replica and of the other two from the master.
        fields = client.sentinel_master("mymaster")
        assert isinstance(fields, dict)
        if fields["num-other-sentinels"] == 2 and fields["num-slaves"] == 1:
            break
        assert time.monotonic() < deadline, fields
        time.sleep(0.2)
    assert fields["quorum"] == 2
    assert client.sentinel_get_master_addr_by_name("mymaster") == (HOST, master)
    # redis-py's sentinel_ckquorum reads the reply as a bare OK; the reply is "+OK 3 usable...".
    with socket.create_connection((HOST, sentinels[0]), timeout=5) as conn:
        conn.sendall(b"SENTINEL CKQUORUM mymaster\r\n")
        reply = conn.recv(256)
    assert reply.startswith(b"+OK 3 usable Sentinels"), reply
    master_info = ping(master).info("persistence")
    assert master_info["aof_enabled"] == 1  # redis.conf: every acknowledged write survives a restart
    assert ping(master).config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert ping(replica).info("replication")["role"] == "slave"
