"""Database access: the async engine, sessions, the declarative base and migrations.

The same code runs on SQLite (embedded mode) and PostgreSQL (scale-out); the schema is
owned by the Alembic migrations in ``bankchat/migrations``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, event, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Stable constraint names, so that migrations written on SQLite apply unchanged on
# PostgreSQL and constraints can be dropped by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no offset and hands back naive values, which Python refuses to compare
    with aware ones; storing UTC without offset there and re-attaching UTC on the way
    out keeps comparisons in SQL and in Python both right.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# How long a SQLite writer waits for the one before it. Under load (a thousand chat
# sockets) the queue of writers is long; the default 5 s turned waits into errors.
SQLITE_BUSY_TIMEOUT_MS = 60_000


def configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """The pragmas every SQLite connection of the platform runs with (a connect listener)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last
    # commits. Embedded mode trades that for commits without an fsync each; scale-out
    # runs on PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; on SQLite with foreign keys, WAL and a long busy wait."""
    # Statement parameters can be bank data or message text: never in error messages.
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", configure_sqlite)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that commits on success and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session


async def lock_row(session: AsyncSession, model: type[Base], key: str) -> None:
    """Take the write lock on one row before reading it, on both backends.

    ``SELECT ... FOR UPDATE`` does nothing on SQLite, whose driver only begins a
    transaction at the first write, so two transactions could read the same row and both
    act on it. A no-op UPDATE is the first write everywhere: PostgreSQL locks the row,
    SQLite takes its database write lock, and reads after it see the latest commit.
    """
    [primary] = sa_inspect(model).primary_key
    await session.execute(update(model).where(primary == key).values({primary.name: primary}))


def alembic_config() -> Config:
    """Alembic configuration built in code, so no alembic.ini has to be found on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on ``engine``."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Revert migrations down to ``revision`` on ``engine``."""
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade_on, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)
