"""iCalendar export and import of shifts: one VEVENT per shift, times in UTC.

Export writes, per shift: a UID stable for the same responder, role and instants; DTSTART and
DTEND in UTC; SUMMARY "<Role> on call: <responder>"; and the properties X-SAFETYNET-RESPONDER
and X-SAFETYNET-ROLE. Import reads the responder and role from those two properties, or else
from a SUMMARY of that form ("Backup on call: ana"); times without a zone are read in the
`timezone` given; cancelled events (STATUS:CANCELLED) are skipped. Import is all or nothing:
any bad event fails the whole file, naming every one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Component, Event
from pydantic import ValidationError

from schedules.localtime import strict_local
from schedules.model import RosterVersion
from schedules.shift import ROLES, Role, Shift

PRODID = "-//SafetyNet//Roster//EN"
RESPONDER_PROPERTY = "X-SAFETYNET-RESPONDER"
ROLE_PROPERTY = "X-SAFETYNET-ROLE"
_SUMMARY = re.compile(r"^\s*(primary|backup|supervisor)\b[^:]*:\s*(\S.*?)\s*$", re.IGNORECASE)


class ICalImportError(ValueError):
    """The calendar could not be imported; `errors` names every bad event."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def shift_uid(shift: Shift) -> str:
    """The same shift always gets the same UID, so a subscribed calendar updates instead of duplicating."""
    responder, role, start, end = shift.key()
    digest = hashlib.sha256(
        f"{responder}\n{role}\n{start.isoformat()}\n{end.isoformat()}".encode()
    ).hexdigest()
    return f"{digest[:32]}@safetynet"


def summary(shift: Shift) -> str:
    return f"{shift.role.capitalize()} on call: {shift.responder}"


def to_ical(
    shifts: Iterable[Shift],
    *,
    stamp: datetime,
    name: str = "SafetyNet roster",
    responder: str | None = None,
) -> str:
    """A VCALENDAR with one VEVENT per shift (only `responder`'s when given); `stamp` is DTSTAMP."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name if responder is None else f"{name}: {responder}")
    stamp_utc = stamp.astimezone(UTC)
    chosen = (s for s in shifts if responder is None or s.responder == responder)
    for shift in sorted(chosen, key=lambda s: s.key()[2:] + s.key()[:2]):
        event = Event()
        event.add("uid", shift_uid(shift))
        event.add("dtstamp", stamp_utc)
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        event.add("summary", summary(shift))
        event.add("transp", "OPAQUE")
        event.add(RESPONDER_PROPERTY, shift.responder)
        event.add(ROLE_PROPERTY, shift.role)
        cal.add_component(event)
    return cast(bytes, cal.to_ical()).decode("utf-8")


def version_to_ical(version: RosterVersion, responder: str | None = None) -> str:
    """The feed for a published version (the whole roster, or one responder's shifts)."""
    return to_ical(
        version.shifts,
        stamp=version.published_at,
        name=f"{version.name} v{version.version}",
        responder=responder,
    )


def _instant(value: Any, what: str, zone: ZoneInfo | None) -> datetime:
    moment = getattr(value, "dt", value)
    if not isinstance(moment, datetime):
        if isinstance(moment, date):
            raise ValueError(f"{what} is a whole day ({moment}); a shift needs a start and end time")
        raise ValueError(f"{what} is not a date-time")
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    if zone is None:
        raise ValueError(f"{what} has no time zone: pass the roster's timezone to read floating times")
    return strict_local(moment, zone)


def _event_shift(event: Component, zone: ZoneInfo | None) -> Shift:
    for unsupported in ("RRULE", "RDATE"):
        if unsupported in event:
            raise ValueError(f"repeating events ({unsupported}) are not imported: export single occurrences")
    if "DTSTART" not in event:
        raise ValueError("DTSTART is missing")
    start = _instant(event["DTSTART"], "DTSTART", zone)
    if "DTEND" in event:
        end = _instant(event["DTEND"], "DTEND", zone)
    elif "DURATION" in event:
        length = getattr(event["DURATION"], "dt", None)
        if not isinstance(length, timedelta):
            raise ValueError("DURATION is not a length of time")
        end = start + length
    else:
        raise ValueError("neither DTEND nor DURATION is given")
    found = _SUMMARY.match(str(event.get("SUMMARY", "")))
    responder = str(event.get(RESPONDER_PROPERTY, "")).strip() or (found.group(2) if found else "")
    role = str(event.get(ROLE_PROPERTY, "")).strip().lower() or (found.group(1).lower() if found else "")
    if not responder:
        raise ValueError(f"no responder: set {RESPONDER_PROPERTY} or a SUMMARY like 'Primary on call: ana'")
    if role not in ROLES:
        raise ValueError(
            f"role {role!r} is not one of primary, backup, supervisor: set {ROLE_PROPERTY} "
            "or a SUMMARY like 'Primary on call: ana'"
        )
    try:
        return Shift(responder=responder, role=cast(Role, role), start=start, end=end)
    except ValidationError as exc:
        raise ValueError("; ".join(str(e["msg"]) for e in exc.errors())) from exc


def from_ical(text: str | bytes, *, timezone: str | None = None) -> list[Shift]:
    """Shifts from an iCalendar text, all or nothing (`ICalImportError` lists every bad event)."""
    zone: ZoneInfo | None = None
    if timezone is not None:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ICalImportError([f"unknown time zone {timezone!r}: use an IANA name"]) from exc
    try:
        cal = Calendar.from_ical(text)
    except ValueError as exc:
        raise ICalImportError([f"not an iCalendar file: {exc}"]) from exc
    shifts: list[Shift] = []
    errors: list[str] = []
    for i, event in enumerate(cal.walk("VEVENT"), start=1):
        uid = str(event.get("UID", "")) or "no UID"
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue  # a cancelled shift is not a shift
        try:
            shifts.append(_event_shift(event, zone))
        except ValueError as exc:
            errors.append(f"event {i} ({uid}): {exc}")
    if errors:
        raise ICalImportError(errors)
    return shifts
