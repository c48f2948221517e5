"""The engine's staff actions: breaks, the answer timeout, supervisor reassigns, the debrief offer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from protocols import Protocol
from router import owed_pages, staffing
from router.clock import Clock
from router.errors import InvalidState, NotFound
from router.models import Contact, Offer
from router.notify import Notifier, Pager
from router.store import Store, Transition
from router.timer_models import Timer

log = structlog.get_logger("router")


def owed_debrief(p: Protocol, closed: Contact, now: datetime) -> Timer | None:
    """The debrief a close owes (Standard 31: the supervisor's page, the responder's notice),
    kept owed in the close's own write."""
    d = p.debrief
    if d is None or closed.responder is None or not d.applies(closed.flags, closed.disposition):
        return None
    return owed_pages.owed(f"debrief:{closed.id}", closed.id, "debrief", d.page, d.via, now)


class StaffActions:
    """Kept apart from the engine so each file reads in one sitting."""

    store: Store
    clock: Clock
    protocol: Protocol
    notifier: Notifier
    id_factory: Callable[[str], str]

    async def dispatch(self, budget: int | None = 100) -> int:
        raise NotImplementedError

    page: Pager

    async def change_or_stale(
        self, contact_id: str, build: Callable[[Contact], Awaitable[Transition | None]]
    ) -> Contact | None:
        raise NotImplementedError

    async def get_contact(self, contact_id: str) -> Contact:
        raise NotImplementedError

    async def _offers_of(self, contact: Contact) -> list[Offer]:
        raise NotImplementedError

    async def _safely(self, kind: str, call: Awaitable[None]) -> None:
        raise NotImplementedError

    # -- after a close ---------------------------------------------------------------
    async def after_close(self, contact: Contact) -> None:
        """Standard 31: after a stressful contact the on-call supervisor is paged for a debrief
        and the responder is told they may take a break before the next offer."""
        debrief = self.protocol.debrief
        if debrief is None or contact.responder is None:
            return
        if not debrief.applies(contact.flags, contact.disposition):
            return
        # Kept owed in the close's write; cleared once the page and the notice are out.
        owed = owed_debrief(self.protocol, contact, self.clock.now())
        await self.debrief(contact, list(debrief.page), list(debrief.via), owed.id if owed else None)

    async def debrief(self, contact: Contact, notify: list[str], via: list[str], owed: str | None) -> None:
        """The debrief a close owes: the supervisor paged, the responder told they may take a
        break; then `owed` (its timer, router/owed_pages.py) cleared."""
        await self.page(contact, notify, via, "debrief")
        debrief = self.protocol.debrief
        responder = await self.store.get_responder(contact.responder) if contact.responder else None
        if responder is not None and debrief is not None:
            minutes = int(debrief.break_for.total_seconds() // 60)
            text = (
                "That was a hard contact. A supervisor has been asked to debrief with you. "
                f"You may take a {minutes}-minute break before the next offer: reply BREAK "
                "(or BREAK <minutes>), or use Break in the console."
            )
            await self._safely("debrief", self.notifier.notice(responder, text))
        if owed:
            await self.store.complete(owed)

    # -- breaks ----------------------------------------------------------------------
    async def take_break(self, responder_id: str, minutes: float | None = None) -> datetime:
        """No offers until the break ends (presence away); then back to available by itself."""
        if await self.store.get_responder(responder_id) is None:
            raise NotFound(f"no responder {responder_id}")
        now = self.clock.now()
        until = now + staffing.break_length(minutes, self.protocol)
        await self.store.set_presence(responder_id, "away", now)
        await self.store.arm([staffing.break_timer(responder_id, until)])
        log.info("break_started", responder=responder_id, until=until.isoformat())
        return until

    async def end_break(self, timer: Timer) -> None:
        rid = timer.notify[0] if timer.notify else None
        await self.store.complete(timer.id)
        if rid is None or (await self.store.presence()).get(rid) != "away":
            return
        await self.store.set_presence(rid, "available", self.clock.now())
        log.info("break_ended", responder=rid)

    async def responder_state(self, responder_id: str) -> staffing.ResponderState:
        if await self.store.get_responder(responder_id) is None:
            raise NotFound(f"no responder {responder_id}")
        return (await self.responder_states([responder_id]))[responder_id]

    async def responder_states(self, ids: list[str]) -> dict[str, staffing.ResponderState]:
        """Presence, wrap-up and break of each; timers are read only when someone is away."""
        presence = await self.store.presence()
        idle = await self.store.idle_since()
        away = any(presence.get(rid) == "away" for rid in ids)
        timers = [t for t in await self.store.timers() if t.id.startswith("break:")] if away else []
        now = self.clock.now()
        return {rid: staffing.state_of(rid, presence, idle, timers, now) for rid in ids}

    # -- the answer timeout ------------------------------------------------------------
    async def answer_timeout(self, timer: Timer) -> None:
        """An accepted contact nobody answered goes back to its place; the responder is told."""
        assert timer.contact_id is not None
        held_by: list[str] = []

        async def build(c: Contact) -> Transition | None:
            held_by[:] = [c.responder] if c.responder else []
            return staffing.answer_timed_out(self.protocol, c, self.clock.now())

        contact = await self.change_or_stale(timer.contact_id, build)
        await self.store.complete(timer.id)
        if contact is None:
            return
        log.warning("answer_timeout", contact_id=contact.id, responder=held_by[0] if held_by else None)
        responder = await self.store.get_responder(held_by[0]) if held_by else None
        if responder is not None:
            secs = int(self.protocol.answer_timeout.total_seconds())
            text = (
                f"The {contact.channel} contact you accepted was not answered within "
                f"{secs // 60}m{secs % 60:02d}s, so it went back to the queue for someone else. "
                "No action needed."
            )
            await self._safely("answer_timeout", self.notifier.notice(responder, text))

    # -- supervisor reassign ------------------------------------------------------------
    async def reassign(self, contact_id: str, to: str, by: str) -> Contact:
        responder = await self.store.get_responder(to)
        if responder is None:
            raise NotFound(f"no responder {to}")
        if (await self.store.presence()).get(to) != "available":
            raise InvalidState(f"{to} is not available (away or offline): set them available first")
        current = await self.get_contact(contact_id)
        held = (await self.store.loads()).get((to, current.channel), 0)
        if held >= responder.capacity_for(current.channel):
            raise InvalidState(f"{to} is at capacity on {current.channel} ({held} held)")
        offer_id = self.id_factory("o")

        async def build(c: Contact) -> Transition:
            now = self.clock.now()
            return staffing.reassign(
                c,
                responder,
                await self._offers_of(c),
                offer_id,
                now,
                self.protocol.offer_timeout,
                by,
                self.protocol.answer_timeout,
            )

        contact = await self.change_or_stale(contact_id, build)
        assert contact is not None
        log.warning("reassigned", contact_id=contact_id, to=to, by=by)
        if contact.offer_ids and offer_id in contact.offer_ids:
            offer = await self.store.get_offer(offer_id)
            if offer is not None:
                await self._safely("offer", self.notifier.offer(responder, offer, contact))
        else:
            text = f"A supervisor gave you a {contact.channel} contact ({contact.id}); it is yours now."
            await self._safely("reassigned", self.notifier.notice(responder, text))
        await self.dispatch()
        return contact
