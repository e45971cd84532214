"""The migrations and the database layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import bankchat.banking.models
import bankchat.identity.models
import bankchat.instance
import bankchat.vault.models  # noqa: F401  (every table on Base.metadata)
from bankchat import db
from bankchat.instance import ensure_instance

HEAD = "0006"


@pytest.fixture
async def db_engine(empty_db_engine: AsyncEngine) -> AsyncEngine:
    """Migrated for real by this test, not copied from the worker's migrated database."""
    await db.upgrade(empty_db_engine)
    return empty_db_engine


async def test_migrations_reach_head(db_engine: AsyncEngine) -> None:
    assert await db.current_revision(db_engine) == HEAD


async def test_migrations_downgrade_to_base_and_up_again(db_engine: AsyncEngine) -> None:
    await db.downgrade(db_engine, "base")
    assert await db.current_revision(db_engine) is None
    await db.upgrade(db_engine)
    assert await db.current_revision(db_engine) == HEAD


async def test_migrated_schema_matches_the_models(db_engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, db.Base.metadata)
        # The version table is Alembic's own.
        return [d for d in diffs if "alembic_version" not in repr(d)]

    async with db_engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_instance_id_is_created_once(db_engine: AsyncEngine) -> None:
    sessions = db.session_factory(db_engine)
    first = await ensure_instance(sessions)
    assert await ensure_instance(sessions) == first
