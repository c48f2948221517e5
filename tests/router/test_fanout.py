"""The shared feed reads contacts only for events some view on this instance wants: with nobody
connected here, a burst of escalations costs this instance no contact reads at all."""

from __future__ import annotations

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.fanout import GATHER_S, IDLE_GATHER_S, SharedFeed, pause
from router.metrics import Metrics
from router.models import Contact, Event
from router.store import MemoryStore
from tests.router.helpers import sms


class CountingStore(MemoryStore):
    """The real in-memory store, counting the contact reads the feed makes."""

    reads = 0

    async def get_contacts(self, ids: list[str]) -> list[Contact]:
        self.reads += len(ids)
        return await super().get_contacts(ids)


class View:
    def __init__(self, wants: set[str] | None) -> None:
        self.wants, self.heard = wants, list[str]()

    def wants_event(self, name: str) -> bool:
        return self.wants is None or name in self.wants

    async def on_event(self, contact: Contact, event: Event) -> None:
        self.heard.append(event.event)


async def test_events_nobody_here_wants_read_no_contact() -> None:
    store = CountingStore("t")
    engine = Engine(store, VirtualClock(), default_protocol())
    idle, answers = View(set()), View({"answered"})
    feed = SharedFeed(store, Metrics(), [idle, answers])
    feed.position = await feed.start_position()
    for n in range(3):
        await engine.intake(sms(f"message {n}", sender=f"+1555000000{n}"))
    assert await feed.step() >= 3
    assert store.reads == 0 and idle.heard == [] and answers.heard == []
    # Nothing given to anyone: the next read gathers longer (fewer reads of a busy stream).
    assert not feed.delivered and pause(feed.delivered) == IDLE_GATHER_S > GATHER_S
    everything = View(None)  # a view that does not say is given every event, with its contact
    feed.views.append(everything)
    await engine.intake(sms("one more", sender="+15550000009"))
    assert await feed.step() >= 1
    assert "received" in everything.heard and store.reads == 1 and idle.heard == []
    assert feed.delivered and pause(feed.delivered) == GATHER_S
