"""The protocol's `retention` applied (Standards 9/11/12/15): after `personal_data`, a
contact leaves Redis (address, messages, notes) and the ledger's free-text report fields are
blanked; after `contact_records`, a contact's facts are anonymised (who handled it, its
timeline) and kept as counts; after `access_audit`, audit records go. Each purge is recorded
in `purges`: what kind, before when, how many; never content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from protocols.care import Retention
from router.ledger.db import Ledger
from router.ledger.schema import audit, contacts, events, purges
from router.store import Store

c = contacts.c
PURGED = "[purged]"


@dataclass(frozen=True)
class Cutoffs:
    personal: datetime
    records: datetime
    audit: datetime

    @classmethod
    def of(cls, retention: Retention, now: datetime) -> Cutoffs:
        return cls(
            personal=now - retention.personal_data,
            records=now - retention.contact_records,
            audit=now - retention.access_audit,
        )


def _personal(cut: Cutoffs) -> Any:
    return and_(c.ended_at < cut.personal, c.forgotten_at.is_(None))


def _report_text(cut: Cutoffs) -> Any:
    return and_(
        c.ended_at < cut.personal,
        (c.report_reference.is_not(None) & (c.report_reference != PURGED))
        | (c.report_not_required.is_not(None) & (c.report_not_required != PURGED)),
    )


def _records(cut: Cutoffs) -> Any:
    return and_(c.received_at < cut.records, c.anonymised_at.is_(None))


async def _count(conn: AsyncConnection, table: Any, cond: Any) -> int:
    return int((await conn.execute(select(func.count()).select_from(table).where(cond))).scalar() or 0)


async def plan(ledger: Ledger, retention: Retention, now: datetime) -> dict[str, int]:
    """What a purge now would remove, counted (`safetynet retention --dry-run`)."""
    cut = Cutoffs.of(retention, now)
    async with ledger.reading() as conn:
        return {
            "personal_data_contacts": await _count(conn, contacts, _personal(cut)),
            "report_free_text": await _count(conn, contacts, _report_text(cut)),
            "contact_records_anonymised": await _count(conn, contacts, _records(cut)),
            "timeline_events": await _count(conn, events, events.c.at < cut.records),
            "audit_records": await _count(conn, audit, audit.c.at < cut.audit),
        }


async def purge(store: Store, ledger: Ledger, retention: Retention, now: datetime) -> dict[str, int]:
    """Carry the plan out; each kind with a count is recorded in `purges`."""
    cut = Cutoffs.of(retention, now)
    async with ledger.reading() as conn:
        due = [str(r[0]) for r in await conn.execute(select(c.id).where(_personal(cut)))]
    # Every timer is read to learn whom they wait on: only when someone is due (the leader's
    # first purge after start found none, and read ~160,000 timers of 40,000 open contacts in
    # seconds of a stalled loop, 200 MB, in an intake benchmark's first minute).
    waiting = {t.contact_id for t in await store.timers() if t.contact_id} if due else set()
    forgotten = [cid for cid in due if cid not in waiting]
    for cid in forgotten:
        await store.forget_contact(cid)
    done: dict[str, int] = {"personal_data_contacts": len(forgotten)}
    async with ledger.writing() as conn:
        for start in range(0, len(forgotten), 500):
            part = forgotten[start : start + 500]
            await conn.execute(update(contacts).where(c.id.in_(part)).values(forgotten_at=now))
        blank = await conn.execute(
            update(contacts)
            .where(_report_text(cut))
            .values(
                report_reference=case((c.report_reference.is_not(None), PURGED), else_=None),
                report_not_required=case((c.report_not_required.is_not(None), PURGED), else_=None),
            )
        )
        done["report_free_text"] = blank.rowcount
        anonymised = await conn.execute(
            update(contacts)
            .where(_records(cut))
            .values(responder=None, closed_by=None, language=None, serves=None, anonymised_at=now)
        )
        done["contact_records_anonymised"] = anonymised.rowcount
        done["timeline_events"] = (
            await conn.execute(delete(events).where(events.c.at < cut.records))
        ).rowcount
        done["audit_records"] = (await conn.execute(delete(audit).where(audit.c.at < cut.audit))).rowcount
        befores = {
            "personal_data_contacts": cut.personal,
            "report_free_text": cut.personal,
            "contact_records_anonymised": cut.records,
            "timeline_events": cut.records,
            "audit_records": cut.audit,
        }
        rows = [{"at": now, "kind": k, "before": befores[k], "count": n} for k, n in done.items() if n]
        if rows:
            await conn.execute(purges.insert(), rows)
    return done


async def history(ledger: Ledger) -> list[dict[str, Any]]:
    async with ledger.reading() as conn:
        rows = (await conn.execute(select(purges).order_by(purges.c.id))).all()
    return [
        {"at": r.at.isoformat(), "kind": r.kind, "before": r.before.isoformat(), "count": r._mapping["count"]}
        for r in rows
    ]
