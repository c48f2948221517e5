"""Versions are content addresses: key order, comments and spelling do not change them; rules do."""

from __future__ import annotations

import random
from datetime import timedelta
from importlib import resources
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols import Protocol, changes, default_protocol, parse_protocol

DEFAULT_TEXT = resources.files("protocols").joinpath("default.yaml").read_text(encoding="utf-8")
DEFAULT_DATA = yaml.safe_load(DEFAULT_TEXT)
DEFAULT_VERSION = default_protocol().version


def _shuffled(value: Any, rnd: random.Random) -> Any:
    """The same data with every mapping's keys in a random order (lists keep theirs: order is meaning)."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: _shuffled(value[k], rnd) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


def _with_comments(text: str, rnd: random.Random) -> str:
    lines = []
    for line in text.splitlines():
        if rnd.random() < 0.2:
            lines.append("# a comment that changes nothing")
        lines.append(line)
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(["20m", "PT20M", "1200s", 1200, "0h20m"]))
def test_version_is_stable_under_key_order_comments_and_spelling(seed: int, target: object) -> None:
    # One seed drives every shuffle: a whole-file reordering shrinks to a single number.
    rnd = random.Random(seed)
    data = _shuffled(DEFAULT_DATA, rnd)
    data["response_target"] = target
    # A wide line keeps each value on one line, so a comment never lands inside a folded string.
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000)
    text = _with_comments(dumped, rnd)
    assert parse_protocol(text, "shuffled.yaml").version == DEFAULT_VERSION


def test_version_changes_with_a_rule() -> None:
    data = dict(DEFAULT_DATA)
    data["offer_timeout"] = "45s"
    changed = parse_protocol(yaml.safe_dump(data), "changed.yaml")
    assert changed.version != DEFAULT_VERSION
    assert changed.version.startswith("p-")
    assert changes(default_protocol(), changed) == ["offer_timeout: 1m → 45s"]


def test_changes_lists_each_changed_setting_in_order() -> None:
    old = Protocol.model_validate({"escalation": [{"after": "5m", "notify": ["backup"]}]})
    new = Protocol.model_validate(
        {"escalation": [{"after": "4m", "notify": ["backup", "supervisor"]}], "response_target": "15m"}
    )
    assert changes(old, new) == [
        "escalation[0].after: 5m → 4m",
        "escalation[0].notify: [backup] → [backup, supervisor]",
        "response_target: 20m → 15m",
    ]
    assert changes(old, old) == []
    assert new.response_target == timedelta(minutes=15)


def test_a_changed_copy_gets_its_own_version() -> None:
    original = default_protocol()
    copy = original.model_copy(update={"name": "changed"})
    assert copy.version != original.version
    assert original.version == DEFAULT_VERSION
