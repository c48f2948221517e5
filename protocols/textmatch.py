"""Folding a contact's text and matching words and patterns in it: what triage tries on every
contact, kept apart from the rules' model so each reads in one sitting."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from protocols.base import language_key

QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})


def fold(text: str) -> str:
    """Case, accents, curly quotes and spacing do not matter: people text fast and on any keyboard."""
    plain = text.translate(QUOTES)
    if plain.isascii():
        # NFKD leaves ASCII as it is and ASCII has no combining marks: skip the per-character
        # pass that most messages do not need (it was most of triage's cost).
        bare = plain
    else:
        decomposed = unicodedata.normalize("NFKD", plain)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def strip_accents(pattern: str) -> str:
    decomposed = unicodedata.normalize("NFKD", pattern.translate(QUOTES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1024)
def keyword_re(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    words = [re.escape(fold(k)) for k in keywords if fold(k)]
    if not words:
        return None
    # Whole words or phrases only: "gun" must not fire on "begun".
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")


@lru_cache(maxsize=1024)
def pattern_re(pattern: str) -> re.Pattern[str]:
    return re.compile(strip_accents(pattern), re.IGNORECASE)


# A language, keyed: asked twice per rule per contact, and rules name few languages.
language_key_cached = lru_cache(maxsize=256)(language_key)


class Folded:
    """The contact's text folded at most once, however many rules look at it."""

    __slots__ = ("_folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None

    def get(self) -> str:
        if self._folded is None:
            self._folded = fold(self.text)
        return self._folded
