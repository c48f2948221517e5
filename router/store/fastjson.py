"""The store's records as JSON, written by orjson from the records' own values: byte for byte
what pydantic writes (tests/contract/test_fast_json.py compares the two on every record a
simulated week makes, and on the awkward values), at about a third of the cost.

Every transition on Redis writes its contact's facts, and each offer, timer and event it makes;
pydantic's `model_dump_json` of a contact's facts was the largest single cost of an escalation
after the script call itself. orjson writes datetimes (`Z` for UTC, with `OPT_UTC_Z`), enums,
floats, strings and containers as pydantic does. A record holding anything it does not (a model
in an extra, an integer past 64 bits, a timedelta) is written by pydantic instead, as is a timer
with a ladder's remaining rungs (nested models).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter

from router.models import Contact, Event, Offer, TimelineEntry
from router.timer_models import Timer

OPT = orjson.OPT_UTC_Z
# A timeline as pydantic reads and writes it (tails.py reads its batches with it).
TIMELINE: TypeAdapter[list[TimelineEntry]] = TypeAdapter(list[TimelineEntry])


def _dumps(values: dict[str, Any] | list[dict[str, Any]]) -> str | None:
    try:
        return orjson.dumps(values, option=OPT).decode()
    except TypeError:  # orjson.JSONEncodeError: a value it does not write
        return None


def _entry(entry: TimelineEntry) -> dict[str, Any]:
    extra = entry.__pydantic_extra__
    return {**entry.__dict__, **extra} if extra else entry.__dict__


def facts(contact: Contact, personal: tuple[str, ...]) -> str:
    """`contact.model_dump_json(exclude=personal)` (`personal` may name the timeline too)."""
    values = contact.__dict__.copy()
    for name in personal:
        del values[name]
    timeline = values.get("timeline")
    if timeline:
        values["timeline"] = [_entry(e) for e in timeline]
    found = _dumps(values)
    return found if found is not None else contact.model_dump_json(exclude=set(personal))


def entries(timeline: list[TimelineEntry]) -> str:
    """The JSON array pydantic writes of `timeline` (a contact's, or the entries a write adds)."""
    found = _dumps([_entry(e) for e in timeline])
    return found if found is not None else TIMELINE.dump_json(timeline).decode()


def flat(record: Event | Offer) -> str:
    """`record.model_dump_json()` of an event (its extras after its fields) or an offer."""
    extra = record.__pydantic_extra__
    found = _dumps({**record.__dict__, **extra} if extra else record.__dict__)
    return found if found is not None else record.model_dump_json()


def timer(t: Timer) -> str:
    """`t.model_dump_json()`: `then` and `reason` left out when empty, as their fields say."""
    if t.then:
        return t.model_dump_json()
    values = t.__dict__.copy()
    del values["then"]
    if values["reason"] is None:
        del values["reason"]
    found = _dumps(values)
    return found if found is not None else t.model_dump_json()
