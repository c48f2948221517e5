"""The ledger's commands as a user runs them, and the coverage rule of Standard 32."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from router.ledger.coverage import coverage
from schedules import RosterVersion, Shift
from tests.conftest import START
from tests.redis_server import RedisServer

pytestmark = pytest.mark.slow


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "router.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_retention_and_a_ledger_that_cannot_open(tmp_path: Path, redis_srv: RedisServer) -> None:
    env = {
        "SAFETYNET_REDIS_URL": redis_srv.url,
        "SAFETYNET_DATA_DIR": str(tmp_path / "d"),
        "SAFETYNET_HOTLINE": "cli",
    }
    done = run(["ledger", "upgrade"], env, tmp_path)
    assert done.returncode == 0 and (tmp_path / "d" / "ledger.db").exists()
    rebuilt = run(["ledger", "summarise"], env, tmp_path)
    assert rebuilt.returncode == 0 and "rebuilt in America/New_York: 0 rows" in rebuilt.stdout, rebuilt.stderr
    dry = run(["retention", "--dry-run"], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["would_purge"]["personal_data_contacts"] == 0
    bad = {
        **env,
        "SAFETYNET_SECRET_KEY": "a-test-key-of-our-own-for-the-ledger-cli-test",
        "SAFETYNET_LEDGER_URL": "postgresql+asyncpg://nobody:secret@127.0.0.1:1/db",
    }
    served = run(["serve", "--port", "0"], bad, tmp_path)
    assert served.returncode == 2
    [line] = served.stderr.strip().splitlines()
    assert "cannot open the ledger" in line and "secret" not in line


def _shift(who: str, role: str, hours: float) -> Shift:
    return Shift(responder=who, role=role, start=START, end=START + timedelta(hours=hours))


def test_32_backup_must_be_another_person() -> None:
    zone = ZoneInfo("America/New_York")
    end = START + timedelta(hours=24)
    same = RosterVersion(
        name="main",
        version=1,
        timezone="UTC",
        shifts=(_shift("ana", "primary", 24), _shift("ana", "backup", 24)),
        window_start=START,
        window_end=end,
        published_at=START,
        published_by="test",
    )
    other = same.model_copy(update={"shifts": (_shift("ana", "primary", 24), _shift("ben", "backup", 24))})
    assert coverage(same, START, end, zone)["rating"] == "meets"
    found = coverage(other, START, end, zone)
    assert found["rating"] == "exceeds" and found["backup_gap_s"] == 0
    assert [d["date"] for d in found["by_day"]] == ["2026-03-02", "2026-03-03"]  # 04:00 New York start
    assert all(d["primary_covered_pct"] == 100.0 for d in found["by_day"])
