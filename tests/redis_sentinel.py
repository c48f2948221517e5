"""A real Redis master, one replica and three Sentinels on free ports, for the failover tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from tests.redis_server import RedisServer, free_port, wait_until

SERVICE = "snmaster"


@dataclass
class SentinelSet:
    master: RedisServer
    replica: RedisServer
    sentinel_ports: list[int]
    dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def current_master_port(self) -> int:
        client = redis.Redis(port=self.sentinel_ports[0], decode_responses=True)
        try:
            address: Any = client.sentinel_get_master_addr_by_name(SERVICE)
            return int(address[1])
        finally:
            client.close()


def _start_sentinel(binary: str, port: int, master_port: int, workdir: Path) -> subprocess.Popen[bytes]:
    conf = workdir / f"sentinel-{port}.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
        f"sentinel parallel-syncs {SERVICE} 1\n"
        f"logfile {workdir / f'sentinel-{port}.log'}\n"
    )
    return subprocess.Popen(
        [binary, str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@contextmanager
def sentinel_set() -> Iterator[SentinelSet]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: apt-get install redis-server redis-sentinel")
    with tempfile.TemporaryDirectory(prefix="sn-sentinel-") as tmp:
        root = Path(tmp)
        (root / "m").mkdir()
        (root / "r").mkdir()
        mport, rport = free_port(), free_port()
        master = RedisServer(url=f"redis://127.0.0.1:{mport}/0", port=mport, dir=root / "m", appendonly=True)
        replica = RedisServer(url=f"redis://127.0.0.1:{rport}/0", port=rport, dir=root / "r", appendonly=True)
        master.start()
        replica.start()
        redis.Redis(port=rport).replicaof("127.0.0.1", mport)
        group = SentinelSet(master, replica, [free_port() for _ in range(3)], root)
        try:
            group.procs = [_start_sentinel(binary, p, mport, root) for p in group.sentinel_ports]

            def replica_known() -> bool:
                client = redis.Redis(port=group.sentinel_ports[0], decode_responses=True)
                try:
                    replicas: Any = client.sentinel_slaves(SERVICE)
                    sentinels: Any = client.sentinel_sentinels(SERVICE)
                    linked = bool(replicas) and replicas[0].get("master-link-status") == "ok"
                    return linked and len(sentinels) == 2
                finally:
                    client.close()

            wait_until(replica_known, "sentinels discovering the replica and each other")
            yield group
        finally:
            for proc in group.procs:
                proc.terminate()
            for proc in group.procs:
                proc.wait(timeout=10)
            master.stop(kill=True)
            replica.stop(kill=True)
