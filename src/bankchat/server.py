"""Building and serving the platform: the parts of a ``Platform`` from settings, and the
uvicorn servers of ``bankchat serve`` and ``bankchat demo`` sharing one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.banking.registry import BankEntry, BankRegistry
from bankchat.bus import InProcessBus
from bankchat.config import Settings
from bankchat.platform import Platform, utc_now
from bankchat.vault.service import Vault

# Bank calls are small; a bank that takes longer than this is treated as unavailable.
BANK_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@asynccontextmanager
async def open_platform(
    settings: Settings,
    banks: Sequence[BankEntry],
    *,
    engine: AsyncEngine | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AsyncIterator[Platform]:
    """A platform for ``settings``; migrates the database it opens itself."""
    own_engine = engine is None
    if engine is None:
        settings.ensure_data_dir()
        engine = db.create_engine(settings.resolved_database_url())
        await db.upgrade(engine)
    sessions = db.session_factory(engine)
    bus = InProcessBus()
    async with httpx.AsyncClient(timeout=BANK_TIMEOUT) as http:
        try:
            platform = Platform(
                settings=settings,
                engine=engine,
                sessions=sessions,
                vault=Vault.from_settings(
                    # The vault judges expiry by the platform's clock, whatever it is now.
                    sessions,
                    settings,
                    clock=lambda: platform.clock(),
                ),
                banks=BankRegistry(banks),
                http=http,
                bus=bus,
                clock=clock,
            )
            yield platform
        finally:
            await bus.close()
            if own_engine:
                await engine.dispose()


def uvicorn_server(app: object, *, host: str, port: int, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # keep bankchat's structured logging for uvicorn's records too
        lifespan="on",
        # Chat frames are small JSON; compressing each one per socket costs more CPU than
        # the bytes it saves on loopback or a LAN.
        ws_per_message_deflate=False,
    )
    return uvicorn.Server(config)


async def serve_all(servers: Sequence[uvicorn.Server]) -> None:
    """Serve until interrupted; when one server stops, stop the others too."""
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
