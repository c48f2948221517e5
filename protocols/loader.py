"""Read a protocol file (YAML) into a validated Protocol, or the shipped default."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from protocols.model import Protocol


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file and the field."""


def parse_protocol(text: str, source: str = "<protocol>") -> Protocol:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProtocolError(f"{source}: a protocol file is a mapping of keys to values")
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ProtocolError(f"{source}: {problems}") from exc


def load_protocol(path: str | Path) -> Protocol:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{p}: cannot read the protocol file ({exc.strerror})") from exc
    return parse_protocol(text, str(p))


def default_protocol() -> Protocol:
    text = resources.files("protocols").joinpath("default.yaml").read_text(encoding="utf-8")
    return parse_protocol(text, "protocols/default.yaml")
