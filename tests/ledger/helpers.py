"""A day of traffic on the real engine (memory store, virtual clock), filed into a ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from protocols import default_protocol
from router.clock import VirtualClock
from router.engine import Engine
from router.ledger import Ledger
from router.ledger.writer import Writer
from router.models import ContactIn
from router.notify import LogNotifier
from router.store import MemoryStore
from tests.conftest import counter_ids
from tests.router.helpers import advance, sms, staff

# 14:00 in New York: daytime, so an abandoned contact gets its callback task.
DAYTIME = datetime(2026, 3, 2, 14, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
PHONE = "+15550001234"
WORDS = "my neighbour hurts me every night"


@dataclass
class Day:
    engine: Engine
    clock: VirtualClock
    writer: Writer
    start: datetime
    on_time: str
    late: str
    abandoned: str
    minor_reported: str
    minor_not_required: str


async def a_day(ledger: Ledger) -> Day:
    """Contacts answered in time, late, abandoned (with its callback), and two flagged minor:
    one closed with a mandated report, one with a documented reason none was required."""
    clock = VirtualClock(DAYTIME)
    store = MemoryStore("t")
    engine = Engine(store, clock, default_protocol(), notifier=LogNotifier(), id_factory=counter_ids())
    await staff(engine, ["ana"], ["ben"], ["sue"], languages=["en", "es"])
    writer = Writer(store, ledger, clock)

    async def take(cid: str) -> None:
        """Accept the contact's offer, waiting (bounded) while responders finish their wrap-up."""
        for _ in range(120):
            found = [o for o in await engine.offers_for(None, None) if o.contact_id == cid]
            if found:
                await engine.accept(found[0].id, found[0].responder)
                return
            await advance(engine, clock, 5, step=5)
        raise AssertionError(f"{cid} was never offered")

    on_time = await engine.intake(sms(WORDS, PHONE))
    await engine.note(on_time.id, "acknowledged", via="auto_reply")
    await advance(engine, clock, 30, step=5)
    await take(on_time.id)
    await engine.send_message(on_time.id, "We are here for you.", "ana")
    await engine.close(on_time.id, "support_given", "private notes about the person", "ana")

    late = await engine.intake(ContactIn.model_validate({"channel": "email", "from": "x@example.org"}))
    abandoned = await engine.intake(ContactIn.model_validate({"channel": "voice", "from": "+15550002222"}))
    await engine.abandon(abandoned.id)
    await advance(engine, clock, 21 * 60, step=15)  # the email breaches; the callback task arrives
    await take(late.id)
    await engine.send_message(late.id, "Sorry for the wait.", "ana")
    await engine.close(late.id, "support_given", None, "ana")

    minor = await engine.intake(sms("I am a minor and scared", "+15550003333"))
    await advance(engine, clock, 10, step=5)
    await take(minor.id)
    await engine.send_message(minor.id, "Thank you for telling us.", "ana")
    report = {
        "what": "child at risk",
        "to": "county DSS",
        "when": "2026-03-02T15:00",
        "client_informed": True,
    }
    await engine.close(minor.id, "support_given", None, "ana", {"mandated_report": report})

    other = await engine.intake(sms("I am a minor, I think", "+15550004444"))
    await advance(engine, clock, 10, step=5)
    await take(other.id)
    await engine.send_message(other.id, "Hello.", "ana")
    reason = {"not_required": "caller is 19; the flag was wrong"}
    await engine.close(other.id, "support_given", None, "ana", {"mandated_report": reason})
    return Day(engine, clock, writer, DAYTIME, on_time.id, late.id, abandoned.id, minor.id, other.id)
