"""The systemd units (an instance, and the ledger writer beside it): valid for systemd itself,
and hardened to an exposure of 3.0 or less."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, clean_env, tool

UNIT = DEPLOY / "systemd" / "safetynet.service"
WRITER = DEPLOY / "systemd" / "safetynet-ledger.service"
INSTALLED_AT = "/opt/safetynet/bin/safetynet"
# Each unit and the command it runs from the virtualenv.
UNITS = [(UNIT, "serve"), (WRITER, "ledger write")]
# What says which program a unit is; every other directive of the instance's unit (its
# hardening, settings file, state directory, restarts) the writer's must repeat.
OWN = {"Description", "ExecStart", "LimitNOFILE"}


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


@pytest.mark.parametrize(("path", "command"), UNITS, ids=[u.name for u, _ in UNITS])
def test_unit_verifies_without_a_warning(tmp_path: Path, path: Path, command: str) -> None:
    # `verify` also checks that ExecStart exists, and nothing is installed at /opt here: point
    # that one path at this checkout's own `safetynet` command and keep every other line.
    text = path.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED_AT} {command}" in text
    unit = tmp_path / path.name
    unit.write_text(text.replace(INSTALLED_AT, tool("safetynet", "the project itself")), encoding="utf-8")
    done = subprocess.run(
        [analyze(), "verify", str(unit)], capture_output=True, text=True, check=False, env=clean_env()
    )
    # Unknown keys and unparsable values are only warnings to systemd: they must not be there.
    complaints = [line for line in done.stderr.splitlines() if path.name in line]
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


@pytest.mark.parametrize("path", [u for u, _ in UNITS], ids=lambda p: p.name)
def test_unit_exposure_is_at_most_3(path: Path) -> None:
    assert exposure(path) <= 3.0


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


def test_the_ledger_writer_unit_keeps_every_setting_of_the_instances_unit() -> None:
    instance = directives(UNIT.read_text(encoding="utf-8"))
    writer = directives(WRITER.read_text(encoding="utf-8"))
    for key in sorted(set(instance) - OWN):
        assert writer.get(key) == instance[key], key
    # One dynamic user for both, so the writer may open the instance's SQLite ledger.
    assert writer["User"] == instance["User"] == ["safetynet"]


def test_the_ledger_writer_unit_says_to_take_the_writer_out_of_the_instances() -> None:
    """The instances read their settings from /etc/safetynet/env, which is not shipped: the
    unit's install steps are where SAFETYNET_LEDGER_WRITER=process is asked for."""
    text = WRITER.read_text(encoding="utf-8")
    assert "echo SAFETYNET_LEDGER_WRITER=process >> /etc/safetynet/env" in text
    assert "systemctl enable --now safetynet-ledger" in text
