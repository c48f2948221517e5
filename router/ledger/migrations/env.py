"""Alembic's environment, run programmatically by router.ledger.db (no alembic.ini): the
caller hands in an open connection in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context

from router.ledger.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
