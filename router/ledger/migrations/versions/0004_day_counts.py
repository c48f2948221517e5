"""The per-day summary the writer keeps (day_counts, summary_zone), and an index over the few
open contacts (a report finds its pending ones without reading the window's rows).

The summary starts empty and unregistered: reports read the rows until the writer's next batch
(or `safetynet ledger summarise`) builds it for the protocol's time zone.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from router.ledger.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here (router/ledger/schema.py's OPEN_ROWS must stay the very same text).
OPEN_ROWS = "answered_at IS NULL AND outcome IS NULL"


def upgrade() -> None:
    op.create_table(
        "day_counts",
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(16)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("protocol_version", sa.String(64)),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("tta_sum", sa.Float(), nullable=False),
        sa.Column("tta_max", sa.Float()),
    )
    op.create_index("ix_day_counts", "day_counts", ["zone", "day", "channel"], unique=False)
    op.create_table(
        "summary_zone",
        sa.Column("zone", sa.String(64), primary_key=True),
        sa.Column("built_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_contacts_open",
        "contacts",
        ["deadline"],
        unique=False,
        sqlite_where=sa.text(OPEN_ROWS),
        postgresql_where=sa.text(OPEN_ROWS),
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_open", table_name="contacts")
    op.drop_table("summary_zone")
    op.drop_index("ix_day_counts", table_name="day_counts")
    op.drop_table("day_counts")
