"""FastAPI dependencies shared by every domain's routes: the platform and the route's
unit of work (``uow.Tx``), whose transaction commits when the route returns and rolls back
when it raises, so a refused request changes nothing.

The session's scope is the route function, not the request: the commit happens before
the response is sent, so what a client is told has happened has happened (a revoked
connection is revoked when the 200 arrives), its events are published, and background
tasks see it. ``SessionDep`` is the same transaction's session, for routes that only read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.platform import Platform
from bankchat.uow import Tx


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_tx(platform: PlatformDep) -> AsyncIterator[Tx]:
    async with platform.unit_of_work() as tx:
        yield tx


TxDep = Annotated[Tx, Depends(get_tx, scope="function")]


def get_session(tx: TxDep) -> AsyncSession:
    return tx.session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
