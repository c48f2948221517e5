"""CSV import and export of shifts: columns responder, role, start, end; all or nothing on import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from schedules.localtime import strict_local
from schedules.shift import ROLES, Role, Shift

COLUMNS = ("responder", "role", "start", "end")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of the file (line 1 is the header)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvImportError(ValueError):
    """Nothing was imported; `errors` lists every bad line so all can be fixed in one pass."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CsvImportError([RowError(0, f"unknown time zone {timezone!r}: use an IANA name")]) from exc


def _instant(column: str, value: str, zone: ZoneInfo) -> datetime:
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    # A bare date parses as midnight; a shift time written without its hour is more likely a mistake.
    if moment is None or len(text) <= 10:
        raise ValueError(
            f"{column} {value!r} is not an ISO 8601 date and time "
            "(like 2026-03-08T09:00-05:00 or 2026-03-08 09:00)"
        )
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    try:
        return strict_local(moment, zone)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from exc


def _row(record: dict[str, str], zone: ZoneInfo) -> Shift:
    problems: list[str] = []
    responder = record["responder"].strip()
    role = record["role"].strip().lower()
    if not responder:
        problems.append("responder is empty")
    if role not in ROLES:
        problems.append(f"role {record['role']!r} is not one of primary, backup, supervisor")
    times: list[datetime] = []
    for column in ("start", "end"):
        try:
            times.append(_instant(column, record[column], zone))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    try:
        return Shift(responder=responder, role=cast(Role, role), start=times[0], end=times[1])
    except ValidationError as exc:
        raise ValueError(
            "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        ) from exc


def read_csv(text: str, *, timezone: str = "UTC") -> list[Shift]:
    """Shifts from CSV text with a header row; times without an offset are local to `timezone`.

    Raises `CsvImportError` listing every bad line; then nothing is imported.
    """
    zone = _zone(timezone)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise CsvImportError([RowError(1, f"the file is empty: the first line must be {','.join(COLUMNS)}")])
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
        if len(set(names)) != len(names):
            detail.append("a column is named twice")
        raise CsvImportError([RowError(1, f"header must be {','.join(COLUMNS)}: {'; '.join(detail)}")])
    shifts: list[Shift] = []
    errors: list[RowError] = []
    last = reader.line_num
    for fields in reader:
        # A quoted field may span lines: name the line the row starts on.
        line, last = last + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank lines are spacing, not rows
        if len(fields) != len(names):
            errors.append(RowError(line, f"expected {len(names)} fields, found {len(fields)}"))
            continue
        try:
            shifts.append(_row(dict(zip(names, fields, strict=True)), zone))
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    if errors:
        raise CsvImportError(errors)
    return shifts


def write_csv(shifts: Iterable[Shift], *, timezone: str = "UTC") -> str:
    """CSV text (header responder,role,start,end), times with their offset in `timezone`, sorted by start."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in sorted(shifts, key=lambda s: (s.start, s.end, ROLES.index(s.role), s.responder)):
        writer.writerow(
            [s.responder, s.role, s.start.astimezone(zone).isoformat(), s.end.astimezone(zone).isoformat()]
        )
    return out.getvalue()
