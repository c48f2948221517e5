"""The manual renders every rule in plain words, cites its standard, and escapes the file's text."""

from __future__ import annotations

import html
import re

import pytest

from protocols import Protocol, default_protocol, example_protocol, render_html, render_markdown
from tests.protocols.helpers import load


@pytest.fixture(scope="module", params=["default", "rural"])
def protocol(request: pytest.FixtureRequest) -> Protocol:
    return default_protocol() if request.param == "default" else example_protocol(request.param)


def _plain_md(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_markdown_has_every_rule(protocol: Protocol) -> None:
    md = _plain_md(render_markdown(protocol))
    for rule in protocol.triage:
        assert f"Rule \u201c{rule.name}\u201d" in md
        for word in rule.keywords:
            assert f"\u201c{word}\u201d" in md
    for code in protocol.dispositions:
        assert f"Close as {code}" in md or f"({code})" in md
    for partner in protocol.partners:
        assert f"{partner.name} ({partner.id})" in md
    assert md.count("After ") >= len(protocol.escalation)
    assert "is breached" in md
    assert protocol.version in md
    for heading in ("Imminent danger", "Mandated reporting", "Returning missed and abandoned contacts"):
        assert f"## {heading}" in md
    for standard in ("Standard 27", "Standard 28", "Standard 29", "Standard 30", "Standards 23 and 35"):
        assert standard in md


def test_html_is_self_contained_and_readable_on_a_phone(protocol: Protocol) -> None:
    page = render_html(protocol)
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']https?:""", page)
    text = html.unescape(page)
    for rule in protocol.triage:
        assert f"Rule \u201c{rule.name}\u201d" in text
    for step in range(len(protocol.escalation)):
        assert text.count("unanswered") >= step


def test_rules_read_in_plain_words() -> None:
    md = _plain_md(render_markdown(default_protocol()))
    assert (
        "After 3 minutes unanswered, the backup on-call responder is notified by text message "
        "and the console." in md
    )
    assert (
        "When a contact is flagged Imminent danger, it has critical priority, it skips the escalation "
        "ladder, it is offered to everyone on call at once and the supervisor on call is paged immediately "
        "by phone call and text message." in md
    )
    assert "the same person has made 3 or more contacts within 1 day (this one included)" in md
    assert "Anonymised contact records (timings, dispositions) are kept 3 years." in md
    assert "Why: Texting at night often means the person cannot safely speak out loud." in md.replace("*", "")


def test_everything_from_the_file_is_escaped() -> None:
    protocol = load(
        """
        name: "<script>alert(1)</script>"
        triage:
          - name: "x</li><img src=x onerror=alert(1)>"
            keywords: ["<b>gun</b>", "*bold* [link](http://x)"]
            why: "a & b"
        """
    )
    page = render_html(protocol)
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page
    md = render_markdown(protocol)
    assert "<script>" not in md
    assert r"\*bold\* \[link\]" in md


def test_patterns_are_described_in_plain_words_when_the_file_says_what_they_mean() -> None:
    protocol = load(
        """
        triage:
          - name: plain
            patterns: ["\\\\bi'm 1[0-7]\\\\b"]
            patterns_mean: "an age like \\u201cI'm 15\\u201d"
          - {name: raw, patterns: ["\\\\bhelp\\\\b"]}
        """
    )
    md = _plain_md(render_markdown(protocol))
    assert "the message contains an age like \u201cI'm 15\u201d" in md
    assert "1[0-7]" not in md
    assert "the message contains text matching \u201c\\bhelp\\b\u201d" in md
