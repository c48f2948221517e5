"""A real three-master Redis Cluster on free ports, for the contract suite (many hotlines, one cluster)."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from tests.redis_server import wait_until

CREATE = ("--cluster-replicas", "0", "--cluster-yes")


@dataclass
class ClusterServers:
    ports: list[int]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)


def cluster_port() -> int:
    """A free port whose cluster bus port (+10,000) is free too: Redis refuses ports above 55535."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@contextmanager
def redis_cluster() -> Iterator[ClusterServers]:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        raise RuntimeError("redis-server and redis-cli are not installed: apt-get install redis-server")
    with tempfile.TemporaryDirectory(prefix="sn-cluster-") as tmp:
        ports = [cluster_port() for _ in range(3)]
        procs = []
        try:
            for port in ports:
                node = Path(tmp) / str(port)
                node.mkdir()
                args = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(node)]
                args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
                args += ["--save", "", "--appendonly", "no", "--logfile", str(node / "redis.log")]
                procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_until(
                lambda: all(redis.Redis(host="127.0.0.1", port=p).ping() for p in ports),
                "cluster nodes starting",
            )
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), *CREATE],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
            )

            def healthy() -> bool:
                for p in ports:
                    info: Any = redis.Redis(host="127.0.0.1", port=p, decode_responses=True).cluster("INFO")
                    if info.get("cluster_state") != "ok":
                        return False
                return True

            wait_until(healthy, "cluster state ok on every node")
            yield ClusterServers(ports)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=10)
