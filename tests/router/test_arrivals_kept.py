"""How long a person's arrivals are kept: the flood limit's hour counts them even when the
protocol's repeat rule looks back less far."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources

import pytest

from protocols import Protocol, parse_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.intake import FLOOD_WINDOW, TooManyContacts, arrival_memory
from router.models import ContactIn
from router.notify import LogNotifier
from router.store import Store
from tests.conftest import counter_ids


def half_hour_repeats() -> Protocol:
    text = (resources.files("protocols") / "default.yaml").read_text()
    assert "within: 24h" in text
    return parse_protocol(text.replace("within: 24h", "within: 30m"), "short repeats")


async def test_a_short_repeat_window_does_not_shorten_the_flood_limits_hour(
    store: Store, clock: VirtualClock
) -> None:
    p = half_hour_repeats()
    assert p.repeat_window == timedelta(minutes=30) and arrival_memory(p) == FLOOD_WINDOW
    engine = Engine(store, clock, p, notifier=LogNotifier(), id_factory=counter_ids(), sender_limit=3)
    text = ContactIn(channel="sms", sender="+15550001111", body="help")
    for minutes in (0, 20, 20):
        await clock.advance(minutes * 60)
        await engine.intake(text)
    # 50 minutes after the first: three in the last hour, though one is older than 30 minutes.
    await clock.advance(10 * 60)
    with pytest.raises(TooManyContacts):
        await engine.intake(text)
    await clock.advance(10 * 60 + 1)  # the first is more than an hour old now
    await engine.intake(text)
