"""Read a protocol file (YAML) into a validated Protocol, or the shipped default; the only I/O here."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from protocols.base import format_loc
from protocols.errors import describe
from protocols.model import Protocol
from protocols.yamlmarks import Marks, YamlProblem, load_with_marks


class ProtocolError(ValueError):
    """A protocol file that cannot be used; each problem names the file, line and field."""

    def __init__(self, problems: list[str] | str) -> None:
        # A single message is still accepted, as the first version of this class took one.
        listed = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(listed))
        self.problems = listed


def parse_with_marks(text: str, source: str = "<protocol>") -> tuple[Protocol, Marks]:
    """The validated protocol and the line of every key, for tools that point at the file."""
    try:
        data, marks = load_with_marks(text)
    except YamlProblem as exc:
        where = f"{format_loc(exc.loc)}: " if exc.loc else ""
        raise ProtocolError([f"{source}:{exc.line}: {where}{exc.message}"]) from exc
    except RecursionError as exc:  # PyYAML composes nested nodes recursively: refuse, do not crash
        raise ProtocolError([f"{source}:1: the file nests lists or mappings too deeply"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProtocolError(
            [f"{source}:1: a protocol file is a mapping of keys to values (name: ..., triage: ...)"]
        )
    try:
        return Protocol.model_validate(data), marks
    except ValidationError as exc:
        raise ProtocolError(describe(Protocol, exc, marks, source)) from exc


def parse_protocol(text: str, source: str = "<protocol>") -> Protocol:
    return parse_with_marks(text, source)[0]


def read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError([f"{p}: cannot read the protocol file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise ProtocolError([f"{p}: not UTF-8 text; save the file as UTF-8"]) from exc


def load_protocol(path: str | Path) -> Protocol:
    return parse_protocol(read_text(path), str(path))


def default_protocol() -> Protocol:
    text = resources.files("protocols").joinpath("default.yaml").read_text(encoding="utf-8")
    return parse_protocol(text, "protocols/default.yaml")


def example_protocol(name: str) -> Protocol:
    """A shipped example (`rural`), read from the package like the default."""
    text = resources.files("protocols").joinpath("examples", f"{name}.yaml").read_text(encoding="utf-8")
    return parse_protocol(text, f"protocols/examples/{name}.yaml")
