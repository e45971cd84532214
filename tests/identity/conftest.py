"""Fixtures for the identity tests: a settable clock, a cheap password hasher, and a small
app serving only the identity routes (plus one test route behind ``CurrentPerson``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat import db
from bankchat.api_deps import PlatformDep, SessionDep
from bankchat.bus import InProcessBus
from bankchat.config import Settings
from bankchat.errors import install_problem_handlers
from bankchat.identity.api import router
from bankchat.identity.deps import CurrentPerson
from bankchat.identity.models import Person
from bankchat.identity.passwords import hasher
from bankchat.identity.service import update_profile
from bankchat.uow import unit_of_work

PASSWORD = "Tintenfisch auf Reisen 17"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(db_engine)


@pytest.fixture
def light_hasher() -> PasswordHasher:
    return hasher("light")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, password_hash_profile="light", cookie_secure=None, session_days=14
    )


@pytest.fixture
def identity_app(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> FastAPI:
    """The identity routes on their own; ``POST /api/v1/test/whoami`` stands for any
    state-changing route of another domain, and ``GET /api/v1/test/write-elsewhere`` for
    one that, like the privacy export, reads through the request's session and then
    writes in a transaction of its own (as the vault does)."""
    app = FastAPI()
    bus = InProcessBus()
    app.state.platform = SimpleNamespace(
        settings=settings,
        sessions=sessions,
        clock=clock,
        bus=bus,
        unit_of_work=lambda: unit_of_work(sessions, bus),
    )
    install_problem_handlers(app)
    app.include_router(router, prefix="/api/v1")

    @app.post("/api/v1/test/whoami")
    async def whoami(signed_in: CurrentPerson) -> dict[str, str]:
        return {"personId": signed_in.person.id}

    @app.get("/api/v1/test/write-elsewhere")
    async def write_elsewhere(
        signed_in: CurrentPerson, session: SessionDep, platform: PlatformDep
    ) -> dict[str, str]:
        await session.execute(select(func.count()).select_from(Person))
        async with platform.unit_of_work() as own:
            person = await update_profile(own, signed_in.person.id, language="en")
        return {"language": person.language}

    return app


def client_for(app: FastAPI, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def http(identity_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(identity_app) as client:
        yield client


async def sign_up(
    client: httpx.AsyncClient,
    *,
    email: str = "anna@example.org",
    display_name: str = "Anna Schmidt",
    password: str = PASSWORD,
    language: str = "de",
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/signup",
        json={
            "email": email,
            "displayName": display_name,
            "password": password,
            "language": language,
        },
    )


async def log_in(
    client: httpx.AsyncClient, *, email: str = "anna@example.org", password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})
