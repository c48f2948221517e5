"""Text-message rules: carrier keywords, splitting long texts, short codes and responder commands."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Twilio accepts at most 1,600 characters in one Message body and joins the segments itself.
MAX_BODY = 1600

# Carrier-required keywords (CTIA): a message that is only the keyword, any case.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

Keyword = Literal["opt_out", "opt_in", "help"]


def keyword(body: str) -> Keyword | None:
    word = body.strip().upper()
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    if word in HELP:
        return "help"
    return None


def _joins_previous(ch: str) -> bool:
    """A character that belongs to the one before it (accent, emoji modifier, joiner)."""
    return unicodedata.combining(ch) != 0 or ch in "\u200d\ufe0f\ufe0e" or "\U0001f3fb" <= ch <= "\U0001f3ff"


def _cut(text: str, limit: int) -> int:
    """Where to end a part of at most `limit` characters: at a space if there is one in the
    last fifth, never inside a character cluster (so an accent or emoji is never torn)."""
    if len(text) <= limit:
        return len(text)
    space = text.rfind(" ", limit * 4 // 5, limit + 1)
    if space > 0:
        return space
    cut = limit
    while cut > 1 and (_joins_previous(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    return cut


def split_sms(text: str, limit: int = MAX_BODY) -> list[str]:
    """Parts of at most `limit` characters, numbered " (1/3)" when there is more than one,
    because separate messages can arrive out of order."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    room = limit - len(" (99/99)")
    parts: list[str] = []
    rest = text
    while rest:
        cut = _cut(rest, room)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    n = len(parts)
    return [f"{p} ({i}/{n})" for i, p in enumerate(parts, 1)]


def short_code(ident: str) -> str:
    """Four characters a responder can type to name an offer or contact (stable per id)."""
    return hashlib.sha256(ident.encode()).hexdigest()[:4].upper()


_CODE = r"[0-9A-Fa-f]{4}"
_ANSWER = re.compile(rf"^\s*([12])(?:\s*[:#-]?\s*({_CODE}))?\s*[.!]?\s*$")
_CLOSE = re.compile(r"^\s*close\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_FLAG = re.compile(r"^\s*flag\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
_LEADING_CODE = re.compile(rf"^\s*\[?({_CODE})\]?(?:[:\s]\s*|$)(.*)$", re.DOTALL)
_BREAK = re.compile(r"^\s*break(?:\s+(\d{1,3})(?:\s*(?:m|min|mins|minutes))?)?\s*[.!]?\s*$", re.IGNORECASE)
# Presence and the close dialogue from the responder's own phone. CANCEL is also a carrier
# opt-out word, so the dialogue advertises ABORT; CANCEL still works where the carrier lets it by.
CommandKind = Literal["accept", "decline", "close", "help", "say", "away", "back", "break", "abort", "flag"]
_WORDS: dict[str, CommandKind] = {"AWAY": "away", "BACK": "back", "ABORT": "abort", "CANCEL": "abort"}


@dataclass(frozen=True)
class Command:
    """What a responder's text asks for."""

    kind: CommandKind
    code: str | None = None
    disposition: str | None = None
    notes: str | None = None
    body: str = ""
    minutes: int | None = None


def parse_command(text: str, known_codes: set[str]) -> Command:
    """Read a responder's text: "1"/"2" [code], "CLOSE [code] disposition [notes]", "HELP",
    "AWAY", "BACK", "BREAK [minutes]", "ABORT", else a message for the person (optionally led
    by the contact's code)."""
    m = _ANSWER.match(text)
    if m:
        code = m.group(2).upper() if m.group(2) else None
        return Command("accept" if m.group(1) == "1" else "decline", code=code)
    if text.strip().upper() in HELP | {"?"}:
        return Command("help")
    word = text.strip().strip(".!").upper()
    if word in _WORDS:
        return Command(_WORDS[word])
    m = _BREAK.match(text)
    if m:
        return Command("break", minutes=int(m.group(1)) if m.group(1) else None)
    m = _CLOSE.match(text)
    if m:
        words = m.group(1).split(None, 1)
        code = None
        if words and words[0].upper() in known_codes:
            code = words[0].upper()
            words = words[1].split(None, 1) if len(words) > 1 else []
        disposition = words[0].lower() if words else None
        notes = words[1].strip() if len(words) > 1 else None
        return Command("close", code=code, disposition=disposition, notes=notes or None)
    m = _FLAG.match(text)
    if m:
        # "FLAG [code] minor vulnerable_adult": the flag names, space or comma separated.
        words = m.group(1).replace(",", " ").split()
        code = words.pop(0).upper() if words and words[0].upper() in known_codes else None
        return Command("flag", code=code, body=" ".join(w.lower() for w in words))
    m = _LEADING_CODE.match(text)
    if m and m.group(1).upper() in known_codes:
        return Command("say", code=m.group(1).upper(), body=m.group(2).strip())
    return Command("say", body=text.strip())
