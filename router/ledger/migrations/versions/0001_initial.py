"""The first ledger: contacts (facts), events (timeline), audit, debriefs, purges, cursor.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from router.ledger.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("stream_id", sa.String(length=40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("stream_id"),
    )
    op.create_index("ix_audit_actor", "audit", ["actor", "at"], unique=False)
    op.create_index("ix_audit_at", "audit", ["at"], unique=False)
    op.create_index("ix_audit_contact", "audit", ["contact_id", "at"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="contact", nullable=False),
        sa.Column("serves", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("first_ack_at", UtcDateTime(), nullable=True),
        sa.Column("offered_at", UtcDateTime(), nullable=True),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("time_to_answer_s", sa.Float(), nullable=True),
        sa.Column("answered_via", sa.String(length=32), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("abandoned_at", UtcDateTime(), nullable=True),
        sa.Column("handed_off_at", UtcDateTime(), nullable=True),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("deadline", UtcDateTime(), nullable=True),
        sa.Column("target_s", sa.Float(), nullable=True),
        sa.Column("responder", sa.String(length=128), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("referral_partner", sa.String(length=128), nullable=True),
        sa.Column("has_notes", sa.Boolean(), nullable=True),
        sa.Column("report_agency", sa.String(length=200), nullable=True),
        sa.Column("reported_at", sa.String(length=64), nullable=True),
        sa.Column("report_reference", sa.String(length=128), nullable=True),
        sa.Column("client_informed", sa.String(length=200), nullable=True),
        sa.Column("report_not_required", sa.String(length=500), nullable=True),
        sa.Column("roster_version", sa.Integer(), nullable=True),
        sa.Column("protocol_version", sa.String(length=64), nullable=True),
        sa.Column("imminent_danger", sa.Boolean(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pages_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("breached", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("breached_at", UtcDateTime(), nullable=True),
        sa.Column("forgotten_at", UtcDateTime(), nullable=True),
        sa.Column("anonymised_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contacts_channel_received", "contacts", ["channel", "received_at"], unique=False)
    op.create_index("ix_contacts_ended", "contacts", ["ended_at"], unique=False)
    op.create_index("ix_contacts_received", "contacts", ["received_at"], unique=False)
    op.create_index("ix_contacts_serves", "contacts", ["serves"], unique=False)
    op.create_table(
        "cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("stream_id", sa.String(length=40), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "debriefs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("has_notes", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_debriefs_at", "debriefs", ["at"], unique=False)
    op.create_table(
        "events",
        sa.Column("stream_id", sa.String(length=40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("stream_id"),
    )
    op.create_index("ix_events_at", "events", ["at"], unique=False)
    op.create_index("ix_events_contact", "events", ["contact_id", "at"], unique=False)
    op.create_table(
        "purges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("before", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("purges")
    op.drop_index("ix_events_contact", table_name="events")
    op.drop_index("ix_events_at", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_debriefs_at", table_name="debriefs")
    op.drop_table("debriefs")
    op.drop_table("cursor")
    op.drop_index("ix_contacts_serves", table_name="contacts")
    op.drop_index("ix_contacts_received", table_name="contacts")
    op.drop_index("ix_contacts_ended", table_name="contacts")
    op.drop_index("ix_contacts_channel_received", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_audit_contact", table_name="audit")
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_index("ix_audit_actor", table_name="audit")
    op.drop_table("audit")
