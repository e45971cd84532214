"""Alembic environment: runs migrations on a connection handed over by ``bankchat.db``."""

from __future__ import annotations

from alembic import context

from bankchat.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrations always run through bankchat.db
    raise RuntimeError("run migrations with `bankchat db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
