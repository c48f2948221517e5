"""The store's Lua scripts as Redis runs them (router/store/lua/).

Redis scripts cannot call one another: what two of them do alike is written once in a file of
its own and included, a line `--#include <file>` replaced by that file's text
(`_record.lua`: how contact_view.lua and transition.lua read a contact's record).
"""

from __future__ import annotations

from importlib import resources

INCLUDE = "--#include "


def lua(name: str) -> str:
    """The script `name`'s text, its includes inlined."""
    text = resources.files("router.store").joinpath("lua", name).read_text(encoding="utf-8")
    return "".join(
        lua(line[len(INCLUDE) :].strip()) + "\n" if line.startswith(INCLUDE) else line
        for line in text.splitlines(keepends=True)
    )
