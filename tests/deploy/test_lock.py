"""requirements.lock pins every runtime dependency pyproject.toml names, with hashes; the
LICENSE file is the license pyproject declares."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.tools import ROOT

LOCK = ROOT / "requirements.lock"
# name==version, an optional environment marker, then the hashes.
PIN = re.compile(r"([A-Za-z0-9._-]+)==([^\s;]+)(?:\s*;[^-]*)?((?:\s+--hash=sha256:[0-9a-f]{64})*)")


def pins() -> dict[str, tuple[Version, list[str]]]:
    """name -> (version, hashes) from pip-compile's output (continuation lines joined)."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, tuple[Version, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.fullmatch(line)
        assert match is not None, f"requirements.lock: not a hashed pin: {line[:80]}"
        hashes = re.findall(r"sha256:[0-9a-f]{64}", match.group(3))
        found[canonicalize_name(match.group(1))] = (Version(match.group(2)), hashes)
    return found


def project() -> dict[str, object]:
    loaded: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return loaded


def test_every_dependency_is_pinned_within_its_range() -> None:
    locked = pins()
    table = project()["project"]
    assert isinstance(table, dict)
    problems = []
    for spec in table["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif locked[name][0] not in requirement.specifier:
            problems.append(f"{requirement.name}=={locked[name][0]} is outside {requirement.specifier}")
    assert problems == [], "; ".join(problems) + " — run `make lock`"


def test_every_pin_carries_a_hash() -> None:
    locked = pins()
    assert locked
    assert [name for name, (_, hashes) in locked.items() if not hashes] == []


def test_lock_says_how_to_regenerate_it() -> None:
    assert "make lock" in LOCK.read_text(encoding="utf-8").split("\n\n")[0]
    assert re.search(r"^lock:", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)


def test_license_file_matches_pyproject() -> None:
    table = project()["project"]
    assert isinstance(table, dict)
    assert table["license"] == "Apache-2.0" and table["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
