"""Every field of the protocol model names the test that proves the engine carries it out, so
a setting can no longer be accepted, validated and printed in the manual but never done."""

from __future__ import annotations

import ast
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from protocols import Protocol
from tests.protocols.field_registry import ELSEWHERE, REGISTRY, WHY

ROOT = Path(__file__).resolve().parents[2]
CITATIONS = ("standard", "why")


def _models(annotation: object) -> Iterator[tuple[type[BaseModel], bool]]:
    """Models inside an annotation, and whether they sit in a list or mapping (`[]`)."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    many = origin in (list, dict)
    for arg in typing.get_args(annotation):  # list[X], dict[K, X], X | None
        for model, inner in _models(arg):
            yield model, many or inner


def field_paths(model: type[BaseModel] = Protocol, prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        yield path
        for sub, many in _models(info.annotation):
            yield from field_paths(sub, path + ("[]" if many else ""))


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_walk_reaches_nested_fields() -> None:
    paths = set(field_paths())
    assert {"escalation[].after", "channels[].open_hours[].start", "triage[].repeat.within"} <= paths
    assert "holidays[].open_hours[].end" in paths and "language_fallback.interpreter" in paths


def test_every_protocol_field_names_the_test_that_proves_it() -> None:
    missing = [p for p in field_paths() if p not in REGISTRY and p.rsplit(".", 1)[-1] not in CITATIONS]
    assert missing == [], "fields with no test in tests/protocols/field_registry.py: " + ", ".join(missing)


def test_every_named_test_exists() -> None:
    problems = []
    for field, target in [*REGISTRY.items(), ("(citations)", WHY)]:
        file, _, name = target.partition("::")
        path = ROOT / file
        if not path.exists():
            if not file.startswith(ELSEWHERE):
                problems.append(f"{field}: {file} does not exist")
            continue
        if name not in _defined_tests(path):
            problems.append(f"{field}: {file} defines no {name}")
    assert problems == []


def test_registry_names_only_real_fields_or_another_branchs() -> None:
    paths = set(field_paths())
    stale = [f for f, target in REGISTRY.items() if f not in paths and not target.startswith(ELSEWHERE)]
    assert stale == [], f"registry entries for fields the model no longer has: {stale}"
