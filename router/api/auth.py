"""Bearer tokens and the four roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from router.models import TokenRecord
from router.store import Store

Role = Literal["responder", "scheduler", "manager", "admin"]
ROLES: tuple[Role, ...] = ("responder", "scheduler", "manager", "admin")


@dataclass(frozen=True)
class Principal:
    role: Role
    responder: str | None = None

    @property
    def actor(self) -> str:
        return self.responder or self.role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "sn_" + secrets.token_urlsafe(32)


async def authenticate(store: Store, admin_token: str | None, header: str | None) -> Principal | None:
    if not header or not header.startswith("Bearer "):
        return None
    token = header.removeprefix("Bearer ").strip()
    if not token:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role="admin")
    record: TokenRecord | None = await store.get_token(hash_token(token))
    if record is None:
        return None
    return Principal(role=record.role, responder=record.responder)
