"""Heartbeats: a socket that stops answering pings is closed 1001, one that answers stays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.messaging.conftest import Served, close_code_after_draining, open_socket, socket_of
from tests.platform_support import sign_up


@pytest.fixture
def gateway_options() -> dict[str, Any]:
    return {"heartbeat_seconds": 0.2}


async def test_a_client_that_does_not_answer_pings_is_closed_1001(served: Served) -> None:
    anna = await sign_up(served.app)
    ws = await open_socket(served, anna)
    frames: list[str] = []
    assert await close_code_after_draining(ws, frames) == 1001
    assert frames == ["welcome", "ping", "ping"]


async def test_a_client_that_answers_pings_stays_connected(served: Served) -> None:
    anna = await sign_up(served.app)
    socket_ = await socket_of(served, anna)
    deadline = asyncio.get_running_loop().time() + 1.5
    pings = 0
    while asyncio.get_running_loop().time() < deadline:
        frame = await socket_.next()
        assert frame["type"] == "ping"
        pings += 1
        await socket_.send({"type": "pong"})
    assert pings >= 4
    assert served.gateway.connections_of(anna.id) == 1


async def test_an_open_socket_is_closed_4401_within_a_heartbeat_of_log_out(
    served: Served,
) -> None:
    anna = await sign_up(served.app)
    ws = await open_socket(served, anna)
    await anna.post("/api/v1/auth/logout")
    assert await close_code_after_draining(ws, answer_pings=True) == 4401


async def test_an_open_socket_is_closed_4401_within_a_heartbeat_of_erasure(
    served: Served,
) -> None:
    anna = await sign_up(served.app)
    ws = await open_socket(served, anna)
    erased = await anna.post("/api/v1/privacy/erase", json={"confirmEmail": anna.email})
    assert erased.status_code == 204, erased.text
    assert await close_code_after_draining(ws, answer_pings=True) == 4401
