"""Small helpers for protocol tests: parse a snippet and collect its problems."""

from __future__ import annotations

import textwrap

import pytest

from protocols import Protocol, ProtocolError, check_report, parse_protocol


def snippet(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def errors_of(text: str, source: str = "bad.yaml") -> list[str]:
    """The problems a file has, as `check` reports them (fails the test if it loads)."""
    with pytest.raises(ProtocolError) as info:
        parse_protocol(snippet(text), source)
    return info.value.problems


def warnings_of(text: str, source: str = "ok.yaml") -> list[str]:
    report = check_report(snippet(text), source)
    assert report.errors == []
    return report.warnings


def load(text: str) -> Protocol:
    return parse_protocol(snippet(text), "test.yaml")
