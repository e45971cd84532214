"""The sandbox's ASGI app: every bank of a world under ``/banks/<bank-id>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from bankchat.sandbox.errors import install_error_handlers
from bankchat.sandbox.world import World


def create_app(world: World, *, partner_secret: str) -> FastAPI:
    """The sandbox app serving ``world``; ``partner_secret`` signs the partner extension."""
    app = FastAPI(
        title="bankchat sandbox bank",
        description="Fictional banks speaking Berlin Group NextGenPSD2 XS2A 1.3.11.",
        version="1.3.11",
    )
    app.state.world = world
    app.state.partner_secret = partner_secret
    install_error_handlers(app)

    @app.middleware("http")
    async def echo_request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        request_id = request.headers.get("X-Request-ID")
        if request_id and "X-Request-ID" not in response.headers:
            response.headers["X-Request-ID"] = request_id
        return response

    # Routers (each module owns its routes):
    return app
