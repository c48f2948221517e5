"""Flagged contacts through a partial index: Standards 30 and 31 read only the rows that carry
a flag (~2% of a year), not every row of the window.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here (router/ledger/flagged.py must query with the very same condition).
SQLITE_ANY = "flags <> '[]'"
POSTGRES_ANY = "(flags)::text <> '[]'"


def upgrade() -> None:
    op.create_index(
        "ix_contacts_flagged",
        "contacts",
        ["received_at"],
        unique=False,
        sqlite_where=sa.text(SQLITE_ANY),
        postgresql_where=sa.text(POSTGRES_ANY),
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_flagged", table_name="contacts")
