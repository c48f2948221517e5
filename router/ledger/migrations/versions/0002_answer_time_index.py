"""Report indexes: time to answer (exact percentiles inside one-second buckets) and one
covering the report's aggregates, so a year's counts read the index alone (the channel
index goes: the planner preferred it and then read every row from the table).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

# Frozen here: a later change to the schema module's list must come with its own migration.
REPORT_COLUMNS = (
    "received_at", "channel", "kind", "outcome", "answered_at", "time_to_answer_s", "target_s",
    "deadline", "breached", "first_ack_at", "protocol_version", "disposition",
)  # fmt: skip

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_tta", "contacts", ["time_to_answer_s"], unique=False)
    op.create_index("ix_contacts_report", "contacts", list(REPORT_COLUMNS), unique=False)
    # it led the planner away from the covering index (table lookups per row)
    op.drop_index("ix_contacts_channel_received", table_name="contacts")


def downgrade() -> None:
    op.create_index("ix_contacts_channel_received", "contacts", ["channel", "received_at"], unique=False)
    op.drop_index("ix_contacts_report", table_name="contacts")
    op.drop_index("ix_contacts_tta", table_name="contacts")
