"""Fixtures for the messenger: the platform served by uvicorn on a loopback port in the
test's event loop (so sockets are real), with a gateway whose queue and heartbeat a test
module can tune, and helpers that talk the protocol with the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bankchat.app import create_app
from bankchat.identity.deps import SESSION_COOKIE
from bankchat.messaging.gateway import Gateway, install_gateway
from bankchat.platform import Platform
from tests.conftest import free_port
from tests.platform_support import Person

FRAME_TIMEOUT = 5.0


@dataclass
class Served:
    """The platform on a real port; ``app`` is the served app itself."""

    url: str
    app: FastAPI
    gateway: Gateway

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/api/v1/ws"


@pytest.fixture
def gateway_options() -> dict[str, Any]:
    """Options for the served gateway; override in a test module to change them."""
    return {"heartbeat_seconds": 30.0, "resume_grace_seconds": 5.0}


@pytest.fixture
async def served(platform: Platform, gateway_options: dict[str, Any]) -> AsyncIterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    platform.settings = platform.settings.model_copy(update={"public_url": url})
    app = create_app(platform, background=False)
    gateway = install_gateway(app, Gateway(platform, **gateway_options))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield Served(url, app, gateway)
    finally:
        server.should_exit = True
        await task


def session_token(person: Person) -> str:
    token = person.api.cookies.get(SESSION_COOKIE)
    assert token
    return token


async def open_socket(
    served: Served,
    person: Person | None,
    *,
    origin: str | None = None,
    **options: Any,
) -> ClientConnection:
    """A raw socket as ``person`` (None: without a session cookie)."""
    headers = {"Cookie": f"{SESSION_COOKIE}={session_token(person)}"} if person else {}
    return await connect(
        served.ws_url,
        origin=origin or served.url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=FRAME_TIMEOUT,
        **options,
    )


async def receive(ws: ClientConnection, within: float = FRAME_TIMEOUT) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return frame


async def close_code_after_draining(
    ws: ClientConnection, types: list[str] | None = None, *, answer_pings: bool = False
) -> int | None:
    """Read until the server closes; the close code it sent. ``answer_pings`` keeps the
    heartbeat from closing the socket, so any close has another cause."""
    try:
        while True:
            frame = await receive(ws, 10)
            if types is not None:
                types.append(frame["type"])
            if answer_pings and frame["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def receive_type(
    ws: ClientConnection, kind: str, within: float = FRAME_TIMEOUT
) -> dict[str, Any]:
    """The next frame of type ``kind``; other frames before it are skipped."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        frame = await receive(ws, max(deadline - asyncio.get_running_loop().time(), 0.01))
        if frame["type"] == kind:
            return frame


async def quiet_frames(ws: ClientConnection, seconds: float = 0.3) -> list[dict[str, Any]]:
    """Whatever arrives within ``seconds`` (to show that nothing more comes)."""
    frames = []
    while True:
        try:
            frames.append(await receive(ws, seconds))
        except TimeoutError:
            return frames


@dataclass
class Socket:
    """A logged-in socket past its ``welcome``."""

    ws: ClientConnection
    person_id: str

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def send_message(
        self, conversation_id: str, client_id: str, text: str = "Hallo!"
    ) -> None:
        await self.send(
            {
                "type": "send",
                "conversationId": conversation_id,
                "clientId": client_id,
                "kind": "text",
                "body": {"text": text},
            }
        )

    async def frame(self, kind: str, within: float = FRAME_TIMEOUT) -> dict[str, Any]:
        return await receive_type(self.ws, kind, within)

    async def next(self, within: float = FRAME_TIMEOUT) -> dict[str, Any]:
        return await receive(self.ws, within)

    async def close(self) -> None:
        await self.ws.close()


async def socket_of(
    served: Served, person: Person, resume: dict[str, int] | None = None, **options: Any
) -> Socket:
    ws = await open_socket(served, person, **options)
    welcome = await receive(ws)
    assert welcome["type"] == "welcome"
    assert welcome["personId"] == person.id
    # A client speaks first, resuming what it has (here: nothing), so live events flow.
    await ws.send(json.dumps({"type": "resume", "conversations": resume or {}}))
    return Socket(ws, person.id)


async def direct_conversation(first: Person, second: Person) -> str:
    response = await first.post("/api/v1/conversations", json={"personId": second.id})
    assert response.status_code == 200, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id
