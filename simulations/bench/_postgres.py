"""A throwaway PostgreSQL for the test session: initdb + pg_ctl on a free port with its data
in a temp dir (run as the `postgres` user when the tests run as root: initdb refuses root),
or SAFETYNET_TEST_POSTGRES_URL when set."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulations.bench._procs import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_owner(args: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *args] if user else args


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a postgresql+asyncpg:// URL to an empty database."""
    given = os.environ.get("SAFETYNET_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError(
            "PostgreSQL is not installed: apt-get install postgresql (scripts/ensure-system.sh), "
            "or set SAFETYNET_TEST_POSTGRES_URL"
        )
    user = "postgres" if os.geteuid() == 0 else None
    top = Path(tempfile.mkdtemp(prefix="safetynet-pg-"))
    data, sock = top / "data", top / "sock"
    sock.mkdir()
    if user:
        shutil.chown(top, user)
        shutil.chown(sock, user)
    port = free_port()
    subprocess.run(  # noqa: S603 - our own initdb, found on this machine
        _as_owner([initdb, "-D", str(data), "-U", "safetynet", "--auth=trust", "-E", "UTF8"], user),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(  # noqa: S603 - our own pg_ctl
        _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(top / "pg.log"), "-w", "start"], user),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql+asyncpg://safetynet@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(  # noqa: S603 - our own pg_ctl
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"], user),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(top, ignore_errors=True)


def stop_at_once(data_dir: str) -> None:
    """Stop the server of this data directory at once, as a crash would (a test taking the
    ledger away under a running service)."""
    pg_ctl = _bin("pg_ctl")
    if pg_ctl is None:
        raise RuntimeError("pg_ctl is not installed")
    user = "postgres" if os.geteuid() == 0 else None
    subprocess.run(  # noqa: S603 - our own pg_ctl
        _as_owner([pg_ctl, "-D", data_dir, "-m", "immediate", "stop"], user),
        check=True,
        stdout=subprocess.DEVNULL,
    )
