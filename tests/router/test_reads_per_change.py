"""A change decides on the contact its caller just read: one read, not two (none on Redis when
this instance wrote the contact last: it decides on that, under its revision)."""

from __future__ import annotations

import pytest

from router.engine import Engine
from router.models import ContactStatus
from router.store import RedisStore
from tests.router.helpers import sms, staff
from tests.router.trips import counting_reads


async def test_a_first_reply_reads_the_contact_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    await staff(engine, ["ana"])
    c = await engine.intake(sms())
    (offer,) = await engine.offers_for("ana", None)
    await engine.accept(offer.id, "ana")
    reads = counting_reads(monkeypatch, engine.store)
    got = await engine.send_message(c.id, "Hello, I am here", "ana")
    assert got.status == ContactStatus.answered and got.answered_at is not None
    # On Redis this instance accepted the offer: it knows the contact and writes under its
    # revision (router/changing.py), reading nothing first.
    assert reads == ([] if isinstance(engine.store, RedisStore) else ["get_contact"])
