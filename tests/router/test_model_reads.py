"""pydantic models read their attributes without BaseModel's `__getattr__` hook (router/model_reads.py):
fields and methods as ever, extras only through `model_extra`."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import attrgetter

import pytest
from pydantic import BaseModel

import router  # noqa: F401  (the import is what takes the hook away)
from protocols import Protocol
from router.models import Contact, Event, TimelineEntry
from schedules import Roster

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("cls", [Contact, Event, TimelineEntry, Protocol, Roster])
def test_no_model_has_the_hook(cls: type[BaseModel]) -> None:
    # With `__getattr__` anywhere in its classes, CPython reads every attribute through a
    # generic hook and never specialises the read.
    assert not any("__getattr__" in vars(k) for k in cls.__mro__)


def test_extras_are_read_from_model_extra_only() -> None:
    ev = Event(at=AT, event="accepted", contact_id="c_1", offer_id="o_9")
    assert ev.event == "accepted" and ev.contact_id == "c_1"
    assert (ev.model_extra or {}).get("offer_id") == "o_9"
    assert ev.model_dump()["offer_id"] == "o_9"
    # As an attribute an extra is a missing name: code must not read it so (twilio/relay.py did).
    assert getattr(ev, "offer_id", None) is None
    with pytest.raises(AttributeError):
        attrgetter("offer_id")(ev)
    assert ev == Event(at=AT, event="accepted", contact_id="c_1", offer_id="o_9")
