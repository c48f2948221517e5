"""`protocols` is pure domain: it imports neither the router nor any service client."""

from __future__ import annotations

import ast
from importlib import resources

import pytest

FORBIDDEN = ("router", "simulations", "schedules", "redis", "aiohttp", "twilio", "apscheduler", "structlog")
MODULES = sorted(p.name for p in resources.files("protocols").iterdir() if p.name.endswith(".py"))


@pytest.mark.parametrize("module", MODULES)
def test_no_imports_across_the_boundary(module: str) -> None:
    tree = ast.parse(resources.files("protocols").joinpath(module).read_text(encoding="utf-8"))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert not [n for n in imported if n.split(".")[0] in FORBIDDEN]
