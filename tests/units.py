"""Running one vault read (or other unit-of-work call) the way a route or an assistant
turn does: in a unit of work of its own, committed when it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.bus import InProcessBus
from bankchat.uow import Tx, unit_of_work

T = TypeVar("T")


async def in_unit(
    sessions: async_sessionmaker[AsyncSession], call: Callable[[Tx], Awaitable[T]]
) -> T:
    """``call`` in a unit of work of its own (its events go to a bus nobody listens on)."""
    async with unit_of_work(sessions, InProcessBus()) as tx:
        return await call(tx)


async def in_session(
    sessions: async_sessionmaker[AsyncSession], call: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """``call`` with a session that only reads."""
    async with sessions() as session:
        return await call(session)
