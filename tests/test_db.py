"""The migrations and the database layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.instance import ensure_instance


async def test_migrations_reach_head(db_engine: AsyncEngine) -> None:
    assert await db.current_revision(db_engine) == "0001"


async def test_migrations_downgrade_to_base_and_up_again(db_engine: AsyncEngine) -> None:
    await db.downgrade(db_engine, "base")
    assert await db.current_revision(db_engine) is None
    await db.upgrade(db_engine)
    assert await db.current_revision(db_engine) == "0001"


async def test_instance_id_is_created_once(db_engine: AsyncEngine) -> None:
    sessions = db.session_factory(db_engine)
    first = await ensure_instance(sessions)
    assert await ensure_instance(sessions) == first
