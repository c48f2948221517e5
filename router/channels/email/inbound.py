"""One inbound email to the queue: drop machine mail, join the open conversation, or start one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import structlog

from router.channels.email.ids import contact_of, contacts_referenced
from router.channels.email.loops import automatic_reason
from router.channels.email.outbound import Mailer
from router.channels.email.parse import InboundMail, parse
from router.models import Contact, ContactIn
from router.service import Service

log = structlog.get_logger("router.channels.email")
EMPTY = "(empty message)"


@dataclass(frozen=True)
class Outcome:
    kind: Literal["created", "joined", "dropped"]
    contact_id: str | None = None
    reason: str | None = None


class EmailIntake:
    def __init__(self, service: Service, mailer: Mailer) -> None:
        self.engine = service.engine
        self.store = service.store
        self.mailer = mailer

    async def receive(self, raw: bytes, envelope_sender: str | None = None) -> Outcome:
        """Handle one message. `envelope_sender` is SMTP's MAIL FROM ("" for a bounce), if known."""
        mail = parse(raw)
        assert mail.message is not None
        reason = automatic_reason(mail.message, envelope_sender, mail.sender)
        if reason is None and "@" not in mail.sender:
            reason = "no_sender"
        if reason is None and mail.message_id and contact_of(mail.message_id, self.mailer.domain):
            reason = "own_message"  # our own mail came back (a forwarding loop): never answer it
        if reason is not None:
            log.info("email_dropped", reason=reason)
            return Outcome("dropped", reason=reason)
        contact = await self._conversation(mail)
        if contact is not None:
            await self.engine.receive_message(contact.id, mail.text or EMPTY)
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
                    "ref": mail.message_id,
                }
            )
        )
        self.mailer.remember(contact.id, mail.message_id)
        self.mailer.acknowledge(contact)
        await self.engine.note(contact.id, "acknowledged", via="auto_reply")
        return Outcome("created", contact.id)

    async def _conversation(self, mail: InboundMail) -> Contact | None:
        """The open contact this mail continues: named in its threading headers, else the sender's.

        A thread reference counts only from the same person, so someone who was copied on a
        conversation cannot write into it."""
        key = self.engine.sender_key("email", mail.sender)
        for cid in contacts_referenced(mail.references, self.mailer.domain):
            contact = await self.store.get_contact(cid)
            if contact is not None and contact.is_open and contact.sender_key == key:
                return contact
        contact = await self.engine.open_contact_for("email", mail.sender)
        return contact if contact is not None and contact.is_open else None
