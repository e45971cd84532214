"""The platform app as a whole: a route's transaction is committed before its response
is sent."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import event
from starlette.types import Message, Receive, Scope, Send

from bankchat.platform import Platform
from tests.platform_support import sign_up


async def test_a_routes_changes_are_committed_before_its_response_is_sent(
    platform_app: FastAPI, platform: Platform
) -> None:
    order: list[str] = []
    inner = platform_app.build_middleware_stack()

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await inner(scope, receive, send_recorded)

    def committed(_connection: Any) -> None:
        order.append("commit")

    platform_app.middleware_stack = recording
    event.listen(platform.engine.sync_engine, "commit", committed)
    try:
        person = await sign_up(platform_app)
    finally:
        event.remove(platform.engine.sync_engine, "commit", committed)
    assert person.id
    assert order.index("commit") < order.index("response")
