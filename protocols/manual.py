"""The staff manual rendered from the protocol file (Markdown and HTML), so the two never drift."""

from __future__ import annotations

import html
import re

from protocols.chapters import Chapter, Rule
from protocols.chapters_more import all_chapters
from protocols.model import Protocol

# Characters that would turn a hotline's own text into Markdown markup.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_rule(rule: Rule) -> list[str]:
    cite = f" *({_md(rule.standard)})*" if rule.standard else ""
    lines = [f"- {_md(rule.text)}{cite}"]
    lines += [f"    - {_md(d)}" for d in rule.details]
    if rule.why:
        lines.append(f"    - *Why:* {_md(rule.why)}")
    return lines


def render_markdown(protocol: Protocol) -> str:
    """Every rule of the protocol in plain words, with the standard it serves."""
    parts = all_chapters(protocol)
    out = [f"# {_md(protocol.hotline or protocol.name)}: operations manual", ""]
    out.append(f"Protocol version `{protocol.version}`.")
    out.append("")
    out += [f"{i}. [{_md(c.title)}](#{c.anchor})" for i, c in enumerate(parts, 1)]
    for chapter in parts:
        out += [
            "",
            f'<a id="{chapter.anchor}"></a>',
            "",
            f"## {_md(chapter.title)}",
            "",
            _md(chapter.intro),
            "",
        ]
        for rule in chapter.rules:
            out += _md_rule(rule)
    return "\n".join(out) + "\n"


_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;color:#1b1b1b;
overflow-wrap:anywhere;
background:#fff;max-width:46rem;margin-inline:auto}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
ol.toc{padding-left:1.4rem}li{margin:.4rem 0}ul.rules{padding-left:1.1rem}
.std{display:inline-block;font-size:.8rem;background:#e8eef7;color:#123;border-radius:.3rem;padding:0 .35rem;
margin-left:.3rem;white-space:nowrap}.why{color:#444;font-size:.9rem;margin:.2rem 0}
ul.details{padding-left:1.1rem;font-size:.95rem}code{overflow-wrap:anywhere}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.std{background:#234;color:#def}
.why{color:#bbb}}
@media print{.toc{display:none}}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_rule(rule: Rule) -> str:
    cite = f' <span class="std">{_e(rule.standard)}</span>' if rule.standard else ""
    body = f"<li><span>{_e(rule.text)}</span>{cite}"
    if rule.details:
        body += '<ul class="details">' + "".join(f"<li>{_e(d)}</li>" for d in rule.details) + "</ul>"
    if rule.why:
        body += f'<p class="why"><strong>Why:</strong> {_e(rule.why)}</p>'
    return body + "</li>"


def _html_chapter(chapter: Chapter) -> str:
    rules = "".join(_html_rule(r) for r in chapter.rules)
    return (
        f'<section id="{_e(chapter.anchor)}"><h2>{_e(chapter.title)}</h2>'
        f'<p>{_e(chapter.intro)}</p><ul class="rules">{rules}</ul></section>'
    )


def render_html(protocol: Protocol) -> str:
    """A self-contained page (no external files), readable on a phone; all protocol text is escaped."""
    parts = all_chapters(protocol)
    title = f"{protocol.hotline or protocol.name}: operations manual"
    toc = "".join(f'<li><a href="#{_e(c.anchor)}">{_e(c.title)}</a></li>' for c in parts)
    body = "".join(_html_chapter(c) for c in parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>Protocol version <code>{_e(protocol.version)}</code></p></header>"
        f'<nav><ol class="toc">{toc}</ol></nav><main>{body}</main></body></html>\n'
    )
