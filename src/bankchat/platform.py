"""The running platform's shared parts, made once per process and handed to every route
and background task: settings, database sessions, the vault, the bank registry, the bus
and the HTTP client that talks to banks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat.banking.registry import BankRegistry
from bankchat.bus import Bus, InProcessBus
from bankchat.config import Settings
from bankchat.uow import Tx, unit_of_work
from bankchat.vault.service import Vault


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Platform:
    """Everything a request handler or worker needs, without globals."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    vault: Vault
    banks: BankRegistry
    http: httpx.AsyncClient
    bus: Bus = field(default_factory=InProcessBus)
    clock: Callable[[], datetime] = utc_now

    def unit_of_work(self) -> AbstractAsyncContextManager[Tx]:
        """A transaction for one unit of work; its events are published after the commit."""
        return unit_of_work(self.sessions, self.bus)

    @property
    def public_url(self) -> str:
        """Where browsers reach this platform (bank redirects come back here)."""
        return self.settings.public_url or f"http://{self.settings.host}:{self.settings.port}"
