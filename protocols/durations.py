"""Parse the protocol's durations: `90s`, `20m`, `1h`, `1h30m` or ISO 8601 (`PT20M`)."""

from __future__ import annotations

import re
from datetime import timedelta

_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(value: object) -> timedelta:
    """Turn `90s`, `20m`, `1h`, `PT20M`, a number of seconds or a timedelta into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is like 90s, 20m, 1h or PT20M, not true/false")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("a duration is like 90s, 20m, 1h or PT20M")
    text = value.strip()
    if text:
        m = _SHORT.match(text)
        if m and any(m.groups()):
            d, h, mi, s = m.groups()
            return timedelta(days=int(d or 0), hours=int(h or 0), minutes=int(mi or 0), seconds=float(s or 0))
        m = _ISO.match(text.upper())
        if m and any(m.groups()):
            d, h, mi, s = m.groups()
            return timedelta(
                days=int(d or 0),
                hours=float(h or 0),
                minutes=float(mi or 0),
                seconds=float(s or 0),
            )
    raise ValueError(f"{value!r} is not a duration: write it like 90s, 20m, 1h or PT20M")


def format_duration(value: timedelta) -> str:
    """The short form used in files and manuals (`20m`, `90s`, `1h30m`)."""
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)
