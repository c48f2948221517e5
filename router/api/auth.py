"""Bearer tokens and the four roles: who is asking, as a role and a named person."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from router.models import TokenRecord
from router.store import Store
from router.tokens import BOOTSTRAP_PERSON, adopt, hash_token, new_token, usable

__all__ = ["ROLES", "Principal", "Role", "authenticate", "hash_token", "new_token"]

Role = Literal["responder", "scheduler", "manager", "admin"]
ROLES: tuple[Role, ...] = ("responder", "scheduler", "manager", "admin")


@dataclass(frozen=True)
class Principal:
    role: Role
    responder: str | None = None
    # The named person behind the token (the audit's actor); empty for tokens from before names.
    person: str = ""
    token_id: str | None = None

    @property
    def actor(self) -> str:
        return self.responder or self.role

    @property
    def who(self) -> str:
        """The person the audit records: their name, else what the token says they are."""
        return self.person or self.actor


async def authenticate(
    store: Store, admin_token: str | None, header: str | None, now: datetime
) -> Principal | None:
    """The token's principal, or None (no token, unknown, revoked or expired). Read from the
    store on every request, so a revocation holds at once on every instance."""
    if not header or not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    if not token:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role="admin", person=BOOTSTRAP_PERSON)
    token_hash = hash_token(token)
    record: TokenRecord | None = await store.get_token(token_hash)
    if record is None or not usable(record, now):
        return None
    if record.id is None:
        record = await adopt(store, token_hash, record, now)
    return Principal(
        role=record.role, responder=record.responder, person=record.person or "", token_id=record.id
    )
