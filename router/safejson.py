"""JSON from strangers: nesting depth checked before parsing, so a deep document is refused, not recursed."""

from __future__ import annotations

import json
import re
from typing import Any

# Deeper than any body the API or the chat widget sends (a roster is about 4 levels deep); well
# under the interpreter's recursion limit, which json and pydantic would otherwise hit (a 500).
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class TooDeep(ValueError):
    """The document nests arrays and objects deeper than `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels is refused")
        self.limit = limit


def depth_exceeds(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when `raw` opens more than `limit` arrays or objects inside each other.

    Strings are cut out first (a bracket inside one does not count); the scan is one pass over
    the brackets, in C for the regular expressions, with no recursion."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """json.loads that raises TooDeep (a ValueError) instead of recursing into a deep document."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    if depth_exceeds(data, limit):
        raise TooDeep(limit)
    return json.loads(raw)
