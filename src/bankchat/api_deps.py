"""FastAPI dependencies shared by every domain's routes: the platform and a database
session whose transaction commits when the route returns and rolls back when it raises,
so a refused request changes nothing.

The session's scope is the route function, not the request: the commit happens before
the response is sent, so what a client is told has happened has happened (a revoked
connection is revoked when the 200 arrives), and background tasks see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.db import transaction
from bankchat.platform import Platform


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_session(platform: PlatformDep) -> AsyncIterator[AsyncSession]:
    async with transaction(platform.sessions) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
