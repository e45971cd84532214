"""The identity of this bankchat deployment: created once, read by anything that must
name the instance (logs now, the audit chain's first entry later)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bankchat.db import Base, transaction


class Instance(Base):
    """The single row describing this deployment."""

    __tablename__ = "instance"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    schema_note: Mapped[str] = mapped_column(String(200))


async def ensure_instance(sessions: async_sessionmaker[AsyncSession]) -> str:
    """Return this deployment's id, creating it on first start."""
    async with transaction(sessions) as session:
        existing = (await session.execute(select(Instance.id))).scalar_one_or_none()
        if existing is not None:
            return existing
        instance = Instance(
            id=str(uuid.uuid4()),
            created_at=datetime.now(UTC),
            schema_note="created by bankchat",
        )
        session.add(instance)
        return instance.id
