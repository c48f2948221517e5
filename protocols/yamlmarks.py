"""Read YAML and remember the line of every key and list item, so errors can point at them."""

from __future__ import annotations

from typing import Any

import yaml

from protocols.base import Loc

Marks = dict[Loc, int]


class YamlProblem(ValueError):
    """The text is not YAML we accept; `line` is 1-based."""

    def __init__(self, line: int, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.loc = loc
        self.message = message


def load_with_marks(text: str) -> tuple[Any, Marks]:
    """The data as `yaml.safe_load` gives it, plus {location: line} for every key and item."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, (), f"not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(1, (), f"not valid YAML: {exc}") from exc
    except ValueError as exc:
        # YAML reads 2026-13-01 as a date and fails building it: name the line, not a traceback.
        line = _bad_date_line(yaml.compose(text, Loader=yaml.SafeLoader))
        raise YamlProblem(line, (), f"{exc}: write a date like 2026-12-25") from exc
    marks: Marks = {(): 1}
    if node is not None:
        _walk(node, (), marks, set())
    return data, marks


def _walk(node: yaml.Node, loc: Loc, marks: Marks, seen: set[int]) -> None:
    # An alias can point back at its own ancestor; walk each node once.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                _walk(value, loc, marks, seen)
                continue
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            line = key.start_mark.line + 1
            if name in first:
                raise YamlProblem(
                    line, (*loc, name), f"given twice (first on line {first[name]}); keep only one"
                )
            first[name] = line
            marks[(*loc, name)] = line
            _walk(value, (*loc, name), marks, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks[(*loc, i)] = item.start_mark.line + 1
            _walk(item, (*loc, i), marks, seen)


def _bad_date_line(node: yaml.Node | None) -> int:
    """The line of the first date-looking value that is not a real date."""
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop(0)
        if isinstance(n, yaml.ScalarNode) and n.tag == "tag:yaml.org,2002:timestamp":
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(n)
            except ValueError:
                return int(n.start_mark.line) + 1
        elif isinstance(n, yaml.MappingNode):
            stack += [x for pair in n.value for x in pair]
        elif isinstance(n, yaml.SequenceNode):
            stack += list(n.value)
    return 1
