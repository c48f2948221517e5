"""What changed between two protocol versions, in the file's own terms (for activation records)."""

from __future__ import annotations

from typing import Any

from protocols.base import Loc, format_loc
from protocols.model import Protocol


def _flatten(value: Any, loc: Loc, out: dict[Loc, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, (*loc, str(key)), out)
    elif isinstance(value, list) and value and any(isinstance(x, dict | list) for x in value):
        for i, item in enumerate(value):
            _flatten(item, (*loc, i), out)
    else:
        out[loc] = value


def changes(old: Protocol, new: Protocol) -> list[str]:
    """One line per changed setting: `escalation[1].after: 10m → 8m`; empty when the versions match."""
    if old.version == new.version:
        return []
    before: dict[Loc, Any] = {}
    after: dict[Loc, Any] = {}
    _flatten(old.to_dict(), (), before)
    _flatten(new.to_dict(), (), after)
    lines = []
    for loc in sorted(before.keys() | after.keys(), key=_order):
        a, b = before.get(loc, "(not set)"), after.get(loc, "(not set)")
        if a != b:
            lines.append(f"{format_loc(loc)}: {_show(a)} → {_show(b)}")
    return lines


def _order(loc: Loc) -> list[tuple[int, int, str]]:
    # List items in numeric order (2 before 10), keys alphabetically.
    return [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in loc]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
