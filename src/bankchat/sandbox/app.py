"""The sandbox's ASGI app: every bank of a world under ``/banks/<bank-id>``."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bankchat.sandbox import (
    accounts_api,
    consents_api,
    demo_tpp,
    online_banking,
    partner,
    partner_api,
    payments,
    payments_api,
    sca,
)
from bankchat.sandbox.errors import install_error_handlers
from bankchat.sandbox.form_tokens import FormTokens
from bankchat.sandbox.live import live_loop
from bankchat.sandbox.options import SandboxOptions
from bankchat.sandbox.world import World


def _background_loops(world: World, options: SandboxOptions) -> list[Coroutine[Any, Any, None]]:
    """The long-running tasks of a serving sandbox (clearing, live feed, webhooks)."""
    loops: list[Coroutine[Any, Any, None]] = [
        partner.webhook_loop(world, options),
        payments.clearing_loop(world, options.clearing_interval),
    ]
    if options.live_rate > 0:
        loops.append(live_loop(world, options.live_rate, seed=options.live_seed))
    return loops


class EchoRequestId:
    """Put the request's ``X-Request-ID`` on every response that lacks one (the spec asks
    for it on all of them). Plain ASGI: a per-request task and stream, as the decorator
    middleware adds, would cost more than most handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id")
        if not request_id:
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(
    world: World,
    *,
    partner_secret: str,
    clearing_interval: float = 1.0,
    live_rate: float = 0.0,
    live_seed: int = 0,
) -> FastAPI:
    """The sandbox app serving ``world``; ``partner_secret`` signs the partner extension."""
    settings = SandboxOptions(partner_secret, clearing_interval, live_rate, live_seed)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(loop) for loop in _background_loops(world, settings)]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        title="bankchat sandbox bank",
        description="Fictional banks speaking Berlin Group NextGenPSD2 XS2A 1.3.11.",
        version="1.3.11",
        lifespan=lifespan,
    )
    app.add_middleware(EchoRequestId)
    app.state.world = world
    app.state.options = settings
    # Per-app secrets: what was signed under them dies with the app.
    app.state.form_tokens = FormTokens.random(world.clock)
    app.state.page_walk_secret = secrets.token_bytes(32)
    app.state.demo_flows = demo_tpp.PendingFlows()
    install_error_handlers(app)

    app.include_router(consents_api.router)
    app.include_router(accounts_api.router)
    app.include_router(sca.router)
    app.include_router(online_banking.router)
    app.include_router(partner_api.router)
    app.include_router(demo_tpp.router)
    app.include_router(payments_api.router)
    return app
