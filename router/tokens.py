"""Bearer tokens issued to named people: issue, revoke, list, and whether one may be used now.

Tokens are read from the store on every request, so a revocation holds at once on every
instance. Each token is kept three ways in the store's token hash: under the SHA-256 of the
token (what a request looks up), under "id:<id>" (what revocation and listing use; it names
the hash) and in the listing record, "index", of every id issued.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

from router.models import TokenRecord
from router.store import Store

RoleName = Literal["responder", "scheduler", "manager", "admin"]
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=730)
MIN_LIFETIME = timedelta(minutes=1)
# The person behind SAFETYNET_ADMIN_TOKEN, as the audit names them.
BOOTSTRAP_PERSON = "bootstrap-admin"
INDEX = "index"
ID_PREFIX = "id:"
# The listing record is read-modify-written: a short lease (store.mark_once) keeps two
# instances issuing at the same moment from losing each other's id.
INDEX_LEASE_S = 0.5
INDEX_WAIT_S = 5.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "sn_" + secrets.token_urlsafe(32)


def new_id() -> str:
    return "tok_" + secrets.token_hex(8)


def usable(record: TokenRecord, now: datetime) -> bool:
    """Not revoked and not expired (a record with no expiry is one from before named tokens,
    which `adopt` gives one the first time it is used)."""
    if record.revoked_at is not None or record.ids:
        return False
    return record.expires_at is None or now < record.expires_at


async def adopt(store: Store, token_hash: str, record: TokenRecord, now: datetime) -> TokenRecord:
    """A token issued before tokens were named, seen for the first time: it gets an id (so it is
    listed and can be revoked), a person to name in the audit, and the default lifetime from now."""
    adopted = record.model_copy(
        update={
            "id": new_id(),
            "person": record.person or record.label or f"unnamed {record.responder or record.role}",
            "created_at": record.created_at or now,
            "created_by": record.created_by or "issued before named tokens",
            "expires_at": now + DEFAULT_LIFETIME,
        }
    )
    assert adopted.id is not None
    await store.put_token(ID_PREFIX + adopted.id, adopted.model_copy(update={"token_hash": token_hash}))
    await store.put_token(token_hash, adopted)
    await _add_to_index(store, adopted.id)
    return adopted


def public(record: TokenRecord) -> dict[str, object]:
    """What GET /v1/tokens shows: never the token, never its hash."""
    return {
        "id": record.id,
        "role": record.role,
        "person": record.person,
        "responder": record.responder,
        "label": record.label,
        "created_at": record.created_at,
        "created_by": record.created_by,
        "expires_at": record.expires_at,
        "revoked_at": record.revoked_at,
        "revoked_by": record.revoked_by,
    }


async def issue(
    store: Store,
    *,
    role: RoleName,
    person: str,
    now: datetime,
    by: str,
    responder: str | None = None,
    label: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> tuple[str, TokenRecord]:
    """A new token for `person`; returns (token, record). Only the token's hash is stored."""
    if not MIN_LIFETIME <= lifetime <= MAX_LIFETIME:
        raise ValueError(f"a token lives between {MIN_LIFETIME} and {MAX_LIFETIME.days} days")
    token = new_token()
    token_hash = hash_token(token)
    record = TokenRecord(
        id=new_id(),
        role=role,
        person=person,
        responder=responder,
        label=label,
        created_at=now,
        created_by=by,
        expires_at=now + lifetime,
    )
    assert record.id is not None
    await store.put_token(ID_PREFIX + record.id, record.model_copy(update={"token_hash": token_hash}))
    await store.put_token(token_hash, record)
    await _add_to_index(store, record.id)
    return token, record


async def revoke(store: Store, token_id: str, now: datetime, by: str) -> TokenRecord | None:
    """Revoke at once (the hash record first: that is what requests read). None: no such id.
    Revoking twice keeps the first revocation's time and person."""
    held = await store.get_token(ID_PREFIX + token_id)
    if held is None or held.token_hash is None:
        return None
    if held.revoked_at is not None:
        return held.model_copy(update={"token_hash": None})
    change = {"revoked_at": now, "revoked_by": by}
    current = await store.get_token(held.token_hash)
    if current is not None:
        await store.put_token(held.token_hash, current.model_copy(update=change))
    revoked = held.model_copy(update=change)
    await store.put_token(ID_PREFIX + token_id, revoked)
    return revoked.model_copy(update={"token_hash": None})


async def listing(store: Store) -> list[TokenRecord]:
    """Every token issued by id, oldest first, without hashes."""
    index = await store.get_token(INDEX)
    found = [await store.get_token(ID_PREFIX + i) for i in (index.ids if index else [])]
    return [r.model_copy(update={"token_hash": None}) for r in found if r is not None]


async def _add_to_index(store: Store, token_id: str) -> None:
    # Another instance's lease lasts INDEX_LEASE_S at most; past INDEX_WAIT_S, write anyway.
    for _ in range(int(INDEX_WAIT_S / 0.02)):
        if await store.mark_once("tokens-index", INDEX_LEASE_S):
            break
        await asyncio.sleep(0.02)
    index = await store.get_token(INDEX) or TokenRecord(role="admin", label="every token id, oldest first")
    await store.put_token(INDEX, index.model_copy(update={"ids": [*index.ids, token_id]}))
