"""Access audit: who read a person's data or changed the hotline's set-up, what, when, from where.

Each entry is an `audit` event appended to the hotline's stream (`store.record`); the ledger
files it and serves it (`GET /v1/audit`). It is recorded before the data leaves, so a read
that cannot be recorded does not happen. `detail` holds no personal data: ids, field names and
counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from router.models import Event
from router.store import Store

SYSTEM = "system"


@dataclass(frozen=True)
class AuditContext:
    """Who is acting: the named person behind the token (or `system`), their role, their address."""

    store: Store
    now: datetime
    actor: str
    role: str
    ip: str | None = None


def entry(ctx: AuditContext, action: str, contact_id: str | None = None, detail: str = "") -> Event:
    return Event.model_validate(
        {
            "event": "audit",
            "at": ctx.now,
            "actor": ctx.actor,
            "role": ctx.role,
            "action": action,
            "contact_id": contact_id,
            "detail": detail,
            "ip": ctx.ip,
        }
    )


async def audit(
    request_ctx: AuditContext, action: str, contact_id: str | None = None, detail: str = ""
) -> None:
    """Append one audit entry (raises StoreUnavailable when it cannot be kept)."""
    await request_ctx.store.record([entry(request_ctx, action, contact_id, detail)])


async def audit_each(
    request_ctx: AuditContext, action: str, contact_ids: list[str], detail: str = ""
) -> None:
    """One entry per contact read at once (a console's list of conversations), in one append."""
    if contact_ids:
        await request_ctx.store.record([entry(request_ctx, action, cid, detail) for cid in contact_ids])
