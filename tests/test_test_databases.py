"""The tests' databases (``db_engine``): made from the worker's one migration, each is the
migrated schema itself, at head, and a database of the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.instance import Instance, ensure_instance
from tests.databases import PostgresSchemas, postgres_schema, sqlite_database
from tests.test_db import HEAD


@asynccontextmanager
async def new_database(
    engine: AsyncEngine, request: pytest.FixtureRequest, path: Path, *, migrated: bool
) -> AsyncIterator[AsyncEngine]:
    """Another database on ``engine``'s backend: made the way ``db_engine`` makes its, or
    empty."""
    if engine.dialect.name == "sqlite":
        template = request.getfixturevalue("migrated_sqlite_file") if migrated else None
        async with sqlite_database(path, template) as other:
            yield other
    elif not migrated:
        async with postgres_schema() as other:
            yield other
    else:
        schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
        async with schemas.migrated() as other:
            yield other


@pytest.fixture
async def really_migrated(
    db_engine: AsyncEngine, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A database on ``db_engine``'s backend that Alembic migrates in this test."""
    async with new_database(db_engine, request, tmp_path / "real.db", migrated=False) as engine:
        await db.upgrade(engine)
        yield engine


def schema_of(connection: Connection) -> dict[str, Any]:
    """Everything reflection tells about each table."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(map(repr, inspector.get_indexes(table))),
            "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
            "checks": sorted(map(repr, inspector.get_check_constraints(table))),
        }
    return tables


async def test_a_test_database_is_at_head(db_engine: AsyncEngine) -> None:
    assert await db.current_revision(db_engine) == HEAD


async def test_a_test_database_has_the_schema_a_real_migration_gives(
    db_engine: AsyncEngine, really_migrated: AsyncEngine
) -> None:
    async with db_engine.connect() as copied, really_migrated.connect() as migrated:
        expected = await migrated.run_sync(schema_of)
        assert "alembic_version" in expected
        assert await copied.run_sync(schema_of) == expected


async def test_what_a_test_writes_stays_in_its_own_database(
    db_engine: AsyncEngine, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    mine = await ensure_instance(db.session_factory(db_engine))
    async with new_database(db_engine, request, tmp_path / "next.db", migrated=True) as other:
        async with other.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(Instance)) == 0
        assert await ensure_instance(db.session_factory(other)) != mine
    assert await ensure_instance(db.session_factory(db_engine)) == mine
