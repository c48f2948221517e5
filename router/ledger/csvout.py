"""The compliance CSV: one row per contact, facts only (no phone, address, message or note)."""

from __future__ import annotations

import csv
import io
from typing import Any

from router.ledger.rows import COLUMNS


def header() -> str:
    return line(dict(zip(COLUMNS, COLUMNS, strict=True)))


def line(row: dict[str, Any]) -> str:
    out = io.StringIO()
    values = []
    for key in COLUMNS:
        value = row.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        values.append(_safe(str(value)))
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
