"""The platform's ASGI app: every domain's routes under ``/api/v1``, bank webhooks under
``/hooks``, errors as problem details, and the background work of a serving process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bankchat import housekeeping, web
from bankchat.assistant.listener import subscribe_assistant
from bankchat.banking import api as banking_api
from bankchat.banking import worker
from bankchat.errors import install_problem_handlers
from bankchat.identity import api as identity_api
from bankchat.messaging import api as messaging_api
from bankchat.messaging import gateway as messaging_gateway
from bankchat.messaging.notices import subscribe_notices
from bankchat.platform import Platform
from bankchat.privacy import api as privacy_api


def create_app(platform: Platform, *, background: bool = True) -> FastAPI:
    """The app serving ``platform``; the caller owns the platform's lifetime.

    ``background`` runs the sync worker and the periodic duties while the app is served
    (tests that drive them step by step switch it off).
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop_notices = subscribe_notices(platform)
        _app.state.assistant, stop_assistant = subscribe_assistant(platform, warm_up=background)
        unsubscribe_sync = worker.subscribe_sync(platform) if background else None
        duties = (
            asyncio.create_task(housekeeping.periodic(platform), name="bankchat-housekeeping")
            if background
            else None
        )
        try:
            yield
        finally:
            stop_notices()
            await stop_assistant()
            await messaging_gateway.shutdown(_app)
            if unsubscribe_sync is not None:
                unsubscribe_sync()
            if duties is not None:
                duties.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await duties

    app = FastAPI(
        title="bankchat",
        version="0.1.0",
        description=(
            "Banking inside a messenger. Errors are RFC 9457 problem details "
            "(`application/problem+json`) whose `code` is stable."
        ),
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_problem_handlers(app)
    app.include_router(identity_api.router, prefix="/api/v1")
    app.include_router(banking_api.router, prefix="/api/v1")
    app.include_router(privacy_api.router, prefix="/api/v1")
    app.include_router(messaging_api.router, prefix="/api/v1")
    app.add_api_websocket_route("/api/v1/ws", messaging_gateway.websocket_endpoint)
    app.include_router(banking_api.hooks)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    return app
