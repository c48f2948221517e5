"""Telling responders: the Notifier interface, the console/log notifier and console page delivery."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Protocol

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


class PageListener(Protocol):
    """Something that shows pages on a screen (the console's live feed). It is told of every page
    the engine sends, next to the notifier, so a page `for_console` reaches the console even when
    a phone method also delivered it (and the others can be listed as sent)."""

    async def on_page(self, page: Page) -> None: ...


def for_console(page: Page) -> bool:
    """Pages the console delivers: the step asked for it (`via: console`), or the responder is
    reached by console (`notify_via: console`), where the log would otherwise be the only trace."""
    return "console" in page.via or page.responder.notify_via == "console"


class Notifier(abc.ABC):
    """Reaches a responder. Failures are the notifier's to log and fall back from; they never
    undo routing (an unanswered offer simply times out and moves on)."""

    @abc.abstractmethod
    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None: ...

    @abc.abstractmethod
    async def page(self, page: Page) -> None: ...

    async def notice(self, responder: Responder, text: str) -> None:  # noqa: B027 - optional
        """A plain notice (roster changes, reminders)."""


class LogNotifier(Notifier):
    """The console notifier: offers are on the offers endpoint (the console polls and is told live);
    pages are logged here and delivered to consoles by the engine's page listeners."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

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
