"""The systemd unit: valid for systemd itself, and hardened to an exposure of 3.0 or less."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, clean_env, tool

UNIT = DEPLOY / "systemd" / "safetynet.service"
INSTALLED_AT = "/opt/safetynet/bin/safetynet"


def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is not installed: scripts/ensure-system.sh installs systemd with apt")
    return found


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    # `verify` also checks that ExecStart exists, and nothing is installed at /opt here: point
    # that one path at this checkout's own `safetynet` command and keep every other line.
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED_AT} serve" in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED_AT, tool("safetynet", "the project itself")), encoding="utf-8")
    done = subprocess.run(
        [analyze(), "verify", str(unit)], capture_output=True, text=True, check=False, env=clean_env()
    )
    # Unknown keys and unparsable values are only warnings to systemd: they must not be there.
    complaints = [line for line in done.stderr.splitlines() if UNIT.name in line]
    assert done.returncode == 0, done.stderr
    assert complaints == []


def test_verify_catches_a_misspelt_hardening_key(tmp_path: Path) -> None:
    """The check above would pass a unit whose hardening systemd silently ignores, if it
    only looked at the exit code."""
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nProtectSytem=strict\n", encoding="utf-8")
    done = subprocess.run([analyze(), "verify", str(unit)], capture_output=True, text=True, check=False)
    assert any("ProtectSytem" in line for line in done.stderr.splitlines())


def exposure(unit: Path) -> float:
    done = subprocess.run(
        [analyze(), "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", done.stdout + done.stderr)
    assert match is not None, done.stdout + done.stderr
    return float(match.group(1))


def test_unit_exposure_is_at_most_3() -> None:
    assert exposure(UNIT) <= 3.0


def test_security_score_tells_an_unhardened_unit_apart(tmp_path: Path) -> None:
    bare = tmp_path / "bare.service"
    bare.write_text("[Service]\nExecStart=/bin/true\n", encoding="utf-8")
    assert exposure(bare) > 8.0


def test_unit_runs_unprivileged_with_a_state_directory_for_the_data() -> None:
    found = directives(UNIT.read_text(encoding="utf-8"))
    assert found["DynamicUser"] == ["yes"]
    assert found["CapabilityBoundingSet"] == [""]
    assert found["ProtectSystem"] == ["strict"]
    assert found["NoNewPrivileges"] == ["yes"]
    assert found["StateDirectory"] == ["safetynet"]
    assert "SAFETYNET_DATA_DIR=%S/safetynet" in found["Environment"]
    assert "@system-service" in found["SystemCallFilter"]
    assert found["Restart"] == ["always"]
