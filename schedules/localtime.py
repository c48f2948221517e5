"""Wall-clock time in a roster's zone: turning local times into instants across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def _round_trips(local: datetime, zone: ZoneInfo) -> bool:
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


def to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant a local wall-clock time names, in UTC.

    A time the clocks skip (02:30 on a spring-forward night) becomes the instant the clocks jump,
    so a 02:30 handoff happens at 03:00 daylight time; a time that happens twice (01:30 on a
    fall-back night) is the first occurrence. Both keep the mapping monotone, which is what lets
    consecutive handoffs tile the timeline with neither overlap nor hole.
    """
    if naive.tzinfo is not None:
        raise ValueError("to_utc takes a naive local time")
    first = naive.replace(tzinfo=zone, fold=0)
    if _round_trips(first, zone):
        return first.astimezone(UTC)
    # Skipped time: the jump lies between the two readings; find it to the second.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == after:
            high = mid
        else:
            low = mid
    return high


def resolve(when: datetime, zone: ZoneInfo) -> datetime:
    """An aware time as UTC; a naive one read as wall-clock time in `zone`."""
    if when.tzinfo is None:
        return to_utc(when, zone)
    return when.astimezone(UTC)


def strict_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Like `to_utc`, but refuse a local time that does not exist or happens twice.

    Used for imported rows: a person typed that time, and guessing which instant they meant
    would silently move a shift by an hour.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if not _round_trips(first, zone):
        raise ValueError(
            f"{naive.isoformat()} does not exist in {zone.key} (the clocks skip it): "
            "give the time with its UTC offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise ValueError(
            f"{naive.isoformat()} happens twice in {zone.key} (the clocks go back): "
            f"add the UTC offset ({_offset(first)} or {_offset(second)})"
        )
    return first.astimezone(UTC)


def _offset(when: datetime) -> str:
    text = when.isoformat()
    return text[-6:]


def local_naive(when: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock reading of an instant in `zone`, without the zone attached."""
    return when.astimezone(zone).replace(tzinfo=None)
