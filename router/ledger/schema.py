"""The ledger's tables: facts about contacts, the event timeline, audit, debriefs, purges and
the writer's cursor. Never a message, an address or a note: those stay sealed in Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC on the way in and out; SQLite keeps it as a fixed-width naive string (which
    sorts like the time it is), PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the ledger stores aware times only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

ID = 64

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(ID), primary_key=True),
    # contact (a person reached out) | callback (a task calling someone back) | follow_up
    Column("kind", String(16), nullable=False, server_default="contact"),
    Column("serves", String(ID)),  # the contact a callback or follow-up task serves
    Column("channel", String(16)),
    Column("priority", String(16)),
    Column("flags", JSON),
    Column("language", String(16)),
    Column("received_at", UtcDateTime),
    Column("first_ack_at", UtcDateTime),  # the first automatic acknowledgement on its channel
    Column("offered_at", UtcDateTime),
    Column("accepted_at", UtcDateTime),
    Column("answered_at", UtcDateTime),  # the first human response: bridged call, first reply
    Column("time_to_answer_s", Float),
    Column("answered_via", String(32)),
    Column("closed_at", UtcDateTime),
    Column("abandoned_at", UtcDateTime),
    Column("handed_off_at", UtcDateTime),
    Column("ended_at", UtcDateTime),  # whichever of closed, abandoned, handed off came
    Column("outcome", String(16)),  # closed | abandoned | handed_off; NULL while open
    Column("deadline", UtcDateTime),
    Column("target_s", Float),
    Column("responder", String(128)),
    Column("closed_by", String(128)),
    Column("disposition", String(64)),
    Column("referral_partner", String(128)),
    Column("has_notes", Boolean),
    # Standard 30: the mandated report's facts (never what was reported)
    Column("report_agency", String(200)),
    Column("reported_at", String(64)),
    Column("report_reference", String(128)),
    Column("client_informed", String(200)),
    Column("report_not_required", String(500)),
    Column("roster_version", Integer),
    Column("protocol_version", String(64)),
    Column("imminent_danger", Boolean),
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("pages_sent", Integer, nullable=False, server_default="0"),
    Column("breached", Boolean, nullable=False, server_default="0"),
    Column("breached_at", UtcDateTime),
    Column("forgotten_at", UtcDateTime),  # when live state (Redis) let go of it
    Column("anonymised_at", UtcDateTime),
)
Index("ix_contacts_received", contacts.c.received_at)
Index("ix_contacts_ended", contacts.c.ended_at)
Index("ix_contacts_serves", contacts.c.serves)

events = Table(
    "events",
    metadata,
    Column("stream_id", String(40), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("event", String(64), nullable=False),
    Column("contact_id", String(ID)),
    Column("data", JSON),
)
Index("ix_events_contact", events.c.contact_id, events.c.at)
Index("ix_events_at", events.c.at)

audit = Table(
    "audit",
    metadata,
    Column("stream_id", String(40), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200)),
    Column("role", String(32)),
    Column("action", String(64), nullable=False),
    Column("contact_id", String(ID)),
    Column("detail", Text),
    Column("ip", String(64)),
)
Index("ix_audit_at", audit.c.at)
Index("ix_audit_contact", audit.c.contact_id, audit.c.at)
Index("ix_audit_actor", audit.c.actor, audit.c.at)

debriefs = Table(
    "debriefs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(16), nullable=False),  # meeting | immediate
    Column("at", UtcDateTime, nullable=False),
    Column("attendees", JSON, nullable=False),
    Column("contact_ids", JSON, nullable=False),
    Column("has_notes", Boolean, nullable=False),  # the notes stay out of the ledger
    Column("recorded_by", String(200)),
    Column("recorded_at", UtcDateTime, nullable=False),
)
Index("ix_debriefs_at", debriefs.c.at)

purges = Table(
    "purges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("before", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False),
)

cursor = Table(
    "cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("stream_id", String(40), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Reports read exact time-to-answer percentiles inside one-second buckets through this index.
Index("ix_contacts_tta", contacts.c.time_to_answer_s)
# Covering the report's aggregates: a year's counts read this index alone, in arrival order.
REPORT_COLUMNS = (
    "received_at", "channel", "kind", "outcome", "answered_at", "time_to_answer_s", "target_s",
    "deadline", "breached", "first_ack_at", "protocol_version", "disposition",
)  # fmt: skip
Index("ix_contacts_report", *(contacts.c[n] for n in REPORT_COLUMNS))
# Standards 30 and 31 read flagged contacts only (migration 0003; router/ledger/flagged.py).
Index(
    "ix_contacts_flagged",
    contacts.c.received_at,
    sqlite_where=text("flags <> '[]'"),
    postgresql_where=text("(flags)::text <> '[]'"),
)

# The per-day summary (router/ledger/summary.py): one row per local day, channel, kind,
# outcome, protocol version and yes/no facts, with how many contacts and their answer times.
# The writer keeps it in the same transaction as the rows and the cursor, in one time zone
# (the protocol's), so a year's report reads ~6,000 rows instead of one per contact.
day_counts = Table(
    "day_counts",
    metadata,
    Column("zone", String(64), nullable=False),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD, the local date of arrival
    Column("channel", String(16)),
    Column("kind", String(16), nullable=False),
    Column("outcome", String(16)),
    Column("protocol_version", String(64)),
    Column("bits", Integer, nullable=False),  # tally.py's facts, without `pending` (time-bound)
    Column("n", Integer, nullable=False),
    Column("tta_sum", Float, nullable=False),
    Column("tta_max", Float),
)
Index("ix_day_counts", day_counts.c.zone, day_counts.c.day, day_counts.c.channel)

# The zone the summary is kept in (at most one row): a report in another zone reads the rows.
summary_zone = Table(
    "summary_zone",
    metadata,
    Column("zone", String(64), primary_key=True),
    Column("built_at", UtcDateTime, nullable=False),
)

# Pending contacts (open, unanswered, deadline ahead) are found by deadline among the open few.
OPEN_ROWS = "answered_at IS NULL AND outcome IS NULL"
Index(
    "ix_contacts_open",
    contacts.c.deadline,
    sqlite_where=text(OPEN_ROWS),
    postgresql_where=text(OPEN_ROWS),
)
