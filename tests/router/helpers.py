"""Building blocks for router tests: responders, a published roster, fire timers at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from router.clock import VirtualClock
from router.engine import Engine
from router.models import Contact, ContactIn, Responder
from router.timers import TimerRunner
from schedules import Role, Roster, Shift

DAY = timedelta(days=1)


async def staff(
    engine: Engine,
    primary: Sequence[str],
    backup: Sequence[str] = (),
    supervisor: Sequence[str] = (),
    **responder: object,
) -> None:
    """Responders on call for the next day in the given roles, published as roster `main`."""
    now = engine.clock.now()
    shifts = []
    roles: tuple[tuple[Role, Sequence[str]], ...] = (
        ("primary", primary),
        ("backup", backup),
        ("supervisor", supervisor),
    )
    for role, ids in roles:
        for rid in ids:
            if await engine.store.get_responder(rid) is None:
                await engine.put_responder(Responder.model_validate({"id": rid, "name": rid, **responder}))
            shifts.append(Shift(responder=rid, role=role, start=now, end=now + DAY))
    await engine.rosters.put_draft("main", Roster(shifts=shifts), now, now + DAY)
    await engine.rosters.publish("main", now, now + DAY, True, "test")
    await engine.arm_shift_change()


def sms(body: str = "I need help", sender: str = "+15550001234", **kw: object) -> ContactIn:
    return ContactIn.model_validate({"channel": "sms", "from": sender, "body": body, **kw})


async def advance(engine: Engine, clock: VirtualClock, seconds: float, step: float = 1.0) -> None:
    """Move virtual time forward in steps, firing every timer as it comes due."""
    runner = TimerRunner(engine)
    remaining = seconds
    while remaining > 0:
        dt = min(step, remaining)
        await clock.advance(dt)
        await runner.fire_due()
        remaining -= dt


async def pending_for(engine: Engine, rid: str) -> list[str]:
    return [o.id for o in await engine.offers_for(rid, None)]


async def events_of(engine: Engine, contact: Contact) -> list[str]:
    c = await engine.get_contact(contact.id)
    return [e.event for e in c.timeline]
