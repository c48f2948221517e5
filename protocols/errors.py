"""Turn pydantic's validation errors into lines a person can act on: file, line, field, what is allowed."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from protocols.base import Loc, Problem, Problems, format_loc
from protocols.consistency import suggest
from protocols.yamlmarks import Marks

_PLAIN = {
    "list_type": "expected a list, like [a, b]",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def line_of(loc: Loc, marks: Marks) -> int:
    """The line of the deepest part of `loc` the file spells out (a missing key → its parent)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in marks:
            return marks[loc[:end]]
    return 1


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Which model a location inside the file belongs to (to list the keys allowed there)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if not isinstance(part, str) or part not in tp.model_fields:
                return None
            tp = tp.model_fields[part].annotation
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(root: type[BaseModel], loc: Loc, err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        model = model_at(root, loc[:-1])
        allowed = list(model.model_fields) if model else []
        hint = suggest(key, allowed)
        listed = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {key!r}{hint}{listed}"
    if kind == "missing":
        return f"required but missing: add `{loc[-1]}:` here" if loc else "required but missing"
    if kind == "too_short":
        need = ctx.get("min_length", 1)
        return f"needs at least {need} item{'s' if need != 1 else ''}; an empty list is not allowed"
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"{_shown(err['input'])} is not allowed; use one of: {expected}"
    if kind in _PLAIN:
        return f"{_PLAIN[kind]}, not {_shown(err['input'])}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']} (got {_shown(err['input'])})"


def describe(root: type[BaseModel], exc: ValidationError, marks: Marks, source: str) -> list[str]:
    """One `file:line: field: message` per problem, in file order."""
    found: list[tuple[int, str]] = []
    for err in exc.errors():
        # A key of a mapping that fails (an unknown channel) is reported at the key itself.
        loc: Loc = tuple(p for p in err["loc"] if p != "[key]")
        error = (err.get("ctx") or {}).get("error")
        inner = (
            error.problems if isinstance(error, Problems) else [error] if isinstance(error, Problem) else []
        )
        if inner:
            for p in inner:
                full = (*loc, *p.loc)
                found.append((line_of(full, marks), f"{format_loc(full)}: {p.message}"))
            continue
        found.append((line_of(loc, marks), f"{format_loc(loc)}: {_message(root, loc, err)}"))
    return [f"{source}:{line}: {text}" for line, text in sorted(found, key=lambda x: x[0])]
