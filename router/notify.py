"""Telling responders: the Notifier interface and the console/log notifier."""

from __future__ import annotations

import abc
from collections import deque
from dataclasses import dataclass

import structlog

from router.models import Contact, Offer, Responder

log = structlog.get_logger("router.notify")


@dataclass(frozen=True)
class Page:
    """An escalation or breach page: who, about which contact, by which means."""

    responder: Responder
    contact: Contact
    reason: str
    via: tuple[str, ...]


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
    """The console notifier: offers are on the offers endpoint; pages go to the log."""

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
