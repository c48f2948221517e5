"""Telling responders: the Notifier interface, the console/log notifier and console page delivery."""

from __future__ import annotations

import abc
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from router.models import Contact, Event, Offer, Responder
from router.store import Store
from schedules import OnCall

log = structlog.get_logger("router.notify")


@dataclass(frozen=True)
class Page:
    """An escalation or breach page: who, about which contact, by which means."""

    responder: Responder
    contact: Contact
    reason: str
    via: tuple[str, ...]


class Pager(Protocol):
    """`Engine.page`, as the engine's mixins that page (dispatching, staff actions) see it."""

    async def __call__(
        self,
        contact: Contact,
        notify: list[str],
        via: list[str],
        reason: str,
        oncall: OnCall | None = None,
        owed: str | None = None,
        record_with: list[PagesOwed] | None = None,
    ) -> None: ...


def for_console(page: Page) -> bool:
    """Pages the console delivers: the step asked for it (`via: console`), or the responder is
    reached by console (`notify_via: console`), where the log would otherwise be the only trace."""
    return "console" in page.via or page.responder.notify_via == "console"


def page_event(page: Page, now: datetime) -> Event:
    """A page as an event on the hotline's stream: the record of who was paged, why and how, and
    how every instance's consoles hear of it (`console`: delivered there). No personal data."""
    return Event(
        at=now,
        event="paged",
        contact_id=page.contact.id,
        responder=page.responder.id,
        reason=page.reason,
        via=list(page.via),
        console=for_console(page),
        level=page.contact.escalation_level,
    )


# Pages sent, and the timer that kept them owed (router/owed_pages.py), if any.
PagesOwed = tuple[list[Page], str | None]


async def record_pages(store: Store, sent: list[PagesOwed], now: datetime) -> None:
    """Put pages on the stream in one write: the audit trail, and how every instance's consoles
    hear them; the timers that kept them owed are cleared in that write. A burst of escalations
    records all its pages at once (one round trip for the batch, not one per escalation)."""
    events = [page_event(page, now) for pages, _ in sent for page in pages]
    done = [owed for _, owed in sent if owed]
    if events or done:
        await store.record(events, done=done)


class Notifier(abc.ABC):
    """Reaches a responder. Failures are the notifier's to log and fall back from; they never
    undo routing (an unanswered offer simply times out and moves on)."""

    @abc.abstractmethod
    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None: ...

    @abc.abstractmethod
    async def page(self, page: Page) -> None: ...

    async def notice(self, responder: Responder, text: str) -> None:  # noqa: B027 - optional
        """A plain notice (roster changes, reminders)."""

    def reaches(self, responder: Responder) -> bool:
        """Whether a notice to this responder leaves the building (a text, a mail), rather than
        only the log and the console: a confirmation code must really arrive."""
        return False


SENT_KEPT = 1000


class LogNotifier(Notifier):
    """The console notifier: offers are on the offers endpoint (the console polls and is told live);
    pages are logged here, and reach consoles as `paged` events on the stream (see `page_event`)."""

    def __init__(self, keep: int = SENT_KEPT) -> None:
        # The most recent sends, for tests and the demo to look at. A running `serve` uses this
        # notifier for months: an unbounded list here was a memory leak.
        self.sent: deque[tuple[str, str, str]] = deque(maxlen=keep)

    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        self.sent.append(("offer", responder.id, contact.id))
        log.info(
            "offer_notified",
            responder=responder.id,
            offer_id=offer.id,
            contact_id=contact.id,
            channel=contact.channel,
            priority=contact.priority.value,
        )

    async def page(self, page: Page) -> None:
        self.sent.append((page.reason, page.responder.id, page.contact.id))
        log.warning(
            "paged",
            reason=page.reason,
            responder=page.responder.id,
            contact_id=page.contact.id,
            via=list(page.via),
            level=page.contact.escalation_level,
        )

    async def notice(self, responder: Responder, text: str) -> None:
        self.sent.append(("notice", responder.id, ""))
        log.info("notice", responder=responder.id)
