"""deploy/redis (redis.conf, sentinel.conf, start.sh) run by real redis-server processes as
compose starts them, names pointed at loopback: a master, a replica and three Sentinels, all
behind the password, agree on the master and could fail it over."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from simulations.bench._procs import free_port, stop_process
from tests.deploy.tools import DEPLOY

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"
PASSWORD = "sentinel-test-password"


@dataclass
class Group:
    master: int
    replica: int
    sentinels: list[int]


def start(stack: ExitStack, role: str, args: list[str], folder: Path, conf_dir: Path) -> None:
    """`sh start.sh ROLE ARGS` in FOLDER, as compose runs it (there with /data and /tmp)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: scripts/ensure-system.sh installs it")
    env = {
        "PATH": os.environ["PATH"],
        "REDIS_PASSWORD": PASSWORD,
        "REDIS_CONF_DIR": str(conf_dir),
        "REDIS_DATA": str(folder),
        "TMPDIR": str(folder),
    }
    log = stack.enter_context((folder / f"{role}.log").open("wb"))
    script = str(DEPLOY / "redis" / "start.sh")
    proc = subprocess.Popen(
        ["sh", script, role, *args], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    stack.callback(stop_process, proc)


def connect(port: int, password: str | None = PASSWORD) -> redis.Redis:
    client = redis.Redis(host=HOST, port=port, password=password, decode_responses=True, socket_timeout=2)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Group]:
    tmp_path = tmp_path_factory.mktemp("redis")
    found = Group(master=free_port(), replica=free_port(), sentinels=[free_port() for _ in range(3)])
    # The compose names resolve only on compose's network: the master's becomes loopback.
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    shutil.copy(DEPLOY / "redis" / "redis.conf", conf_dir / "redis.conf")
    sentinel_text = (DEPLOY / "redis" / "sentinel.conf").read_text(encoding="utf-8")
    sentinel_text = sentinel_text.replace("redis-master 6379", f"{HOST} {found.master}")
    (conf_dir / "sentinel.conf").write_text(sentinel_text, encoding="utf-8")
    with ExitStack() as stack:
        for port, extra in ((found.master, []), (found.replica, ["--replicaof", HOST, str(found.master)])):
            folder = tmp_path / str(port)
            folder.mkdir()
            start(
                stack,
                "node",
                ["--port", str(port), "--bind", HOST, "--dir", str(folder), *extra],
                folder,
                conf_dir,
            )
            connect(port)
        for port in found.sentinels:
            folder = tmp_path / str(port)
            folder.mkdir()
            start(stack, "sentinel", ["--port", str(port), "--bind", HOST], folder, conf_dir)
            connect(port)
        yield found


def test_sentinels_agree_on_the_master_and_see_the_replica(group: Group) -> None:
    client = connect(group.sentinels[0])
    replica = connect(group.replica)
    deadline = time.monotonic() + 60
    while True:
        # Each Sentinel learns of the replica and of the other two through the master; the
        # replica's first sync waits for the diskless-sync delay (5 s).
        fields = client.sentinel_master("mymaster")
        assert isinstance(fields, dict)
        link = replica.info("replication")["master_link_status"]
        if fields["num-other-sentinels"] == 2 and fields["num-slaves"] == 1 and link == "up":
            break
        assert time.monotonic() < deadline, (fields, link)
        time.sleep(0.2)
    assert fields["quorum"] == 2
    assert client.sentinel_get_master_addr_by_name("mymaster") == (HOST, group.master)
    # redis-py's sentinel_ckquorum reads the reply as a bare OK; the reply is "+OK 3 usable...".
    with socket.create_connection((HOST, group.sentinels[0]), timeout=5) as conn:
        conn.sendall(f"AUTH {PASSWORD}\r\nSENTINEL CKQUORUM mymaster\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += conn.recv(256)
    assert reply.split(b"\r\n")[1].startswith(b"+OK 3 usable Sentinels"), reply
    master = connect(group.master)
    assert master.info("persistence")["aof_enabled"] == 1  # every acknowledged write survives a restart
    assert master.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert replica.info("replication")["role"] == "slave"


def test_nothing_answers_without_the_password(group: Group) -> None:
    for port in (group.master, group.replica, *group.sentinels):
        anonymous = redis.Redis(host=HOST, port=port, socket_timeout=2)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        anonymous.close()
