"""One inbound email to the queue: drop machine mail, join the open conversation, or start one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import structlog

from router.channels.email.ids import contact_of, contacts_referenced
from router.channels.email.loops import automatic_reason
from router.channels.email.outbound import Mailer
from router.channels.email.parse import InboundMail, parse
from router.channels.once import Once, delivery_id, holds
from router.intake import TooManyContacts, over_limit
from router.models import Contact, ContactIn
from router.replies import reply_for
from router.service import Service
from router.transitions import AlreadyReceived, ConversationFull

log = structlog.get_logger("router.channels.email")
EMPTY = "(empty message)"
MAX_ADDRESS = 320  # RFC 5321's longest address: anything longer cannot be answered


@dataclass(frozen=True)
class Outcome:
    # duplicate: the Message-ID was delivered before (nothing stored); refused: the sender is over
    # the hour's limit of new contacts (the mail server should deliver it again later).
    kind: Literal["created", "joined", "dropped", "duplicate", "refused"]
    contact_id: str | None = None
    reason: str | None = None


class EmailIntake:
    def __init__(self, service: Service, mailer: Mailer) -> None:
        self.engine = service.engine
        self.store = service.store
        self.mailer = mailer
        self.once = Once(service.store)

    async def receive(self, raw: bytes, envelope_sender: str | None = None) -> Outcome:
        """Handle one message. `envelope_sender` is SMTP's MAIL FROM ("" for a bounce), if known."""
        mail = parse(raw)
        assert mail.message is not None
        reason = automatic_reason(mail.message, envelope_sender, mail.sender)
        if reason is None and ("@" not in mail.sender or len(mail.sender) > MAX_ADDRESS):
            reason = "no_sender"
        if reason is None and mail.message_id and contact_of(mail.message_id, self.mailer.domain):
            reason = "own_message"  # our own mail came back (a forwarding loop): never answer it
        if reason is not None:
            log.info("email_dropped", reason=reason)
            return Outcome("dropped", reason=reason)
        if await self._over_limit(mail):  # before any mark, so the server's retry is not a "repeat"
            log.warning("email_sender_over_limit")
            return Outcome("refused", reason="too_many_contacts")
        try:
            if not mail.raw_message_id:
                return await self._deliver(mail, None)
            delivery = delivery_id("email", mail.raw_message_id)

            async def already() -> bool:
                return holds(await self._conversation(mail), delivery, mail.raw_message_id)

            outcome = await self.once.run(delivery, already, lambda: self._deliver(mail, delivery))
        except TooManyContacts:  # raised through Once, so the retry is not taken for a repeat
            log.warning("email_sender_over_limit")
            return Outcome("refused", reason="too_many_contacts")
        if outcome is None:
            log.info("email_repeated", delivery=delivery)
            return Outcome("duplicate")
        return outcome

    async def _deliver(self, mail: InboundMail, delivery: str | None) -> Outcome:
        contact = await self._conversation(mail)
        if contact is not None:
            try:
                await self.engine.receive_message(contact.id, mail.text or EMPTY, delivery)
            except AlreadyReceived:
                return Outcome("duplicate", contact.id)
            except ConversationFull:  # a flood into one conversation (a mail loop): kept no further
                log.warning("email_conversation_full", contact_id=contact.id)
                return Outcome("dropped", contact.id, reason="conversation_full")
            self.mailer.remember(contact.id, mail.message_id)
            log.info("email_joined", contact_id=contact.id)
            return Outcome("joined", contact.id)
        contact = await self.engine.intake(
            ContactIn.model_validate(
                {
                    "channel": "email",
                    "from": mail.sender,
                    "subject": mail.subject,
                    "body": mail.text or None,
                    # The header as written, valid or not: it is what a repeat is known by.
                    "ref": mail.raw_message_id,
                }
            )
        )
        self.mailer.remember(contact.id, mail.message_id)
        current = await self.store.get_contact(contact.id) or contact
        self.mailer.acknowledge(
            current, await reply_for(self.engine.protocol, self.store, current, "auto_reply")
        )
        await self.engine.note(contact.id, "acknowledged", via="auto_reply")
        return Outcome("created", contact.id)

    async def _over_limit(self, mail: InboundMail) -> bool:
        """True when this mail would start a contact and its sender is at the hour's limit."""
        if await self._conversation(mail) is not None:
            return False
        keys = self.engine.keyring.sender_keys("email", mail.sender)  # every listed key
        arrivals = [t for k in keys for t in await self.store.arrivals(k)]
        return over_limit(arrivals, self.engine.clock.now(), self.engine.sender_limit)

    async def _conversation(self, mail: InboundMail) -> Contact | None:
        """The open contact this mail continues: named in its threading headers, else the sender's.

        A thread reference counts only from the same person, so someone who was copied on a
        conversation cannot write into it."""
        keys = self.engine.keyring.sender_keys("email", mail.sender)
        for cid in contacts_referenced(mail.references, self.mailer.domain):
            contact = await self.store.get_contact(cid)
            if contact is not None and contact.is_open and contact.sender_key in keys:
                return contact
        contact = await self.engine.open_contact_for("email", mail.sender)
        return contact if contact is not None and contact.is_open else None
