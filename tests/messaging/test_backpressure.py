"""Slow clients: a socket that does not keep up is closed 1013 without holding up anyone
else."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.messaging.conftest import (
    Served,
    close_code_after_draining,
    direct_conversation,
    open_socket,
    receive,
    socket_of,
)
from tests.platform_support import sign_up


@pytest.fixture
def gateway_options() -> dict[str, Any]:
    return {"queue_size": 8, "heartbeat_seconds": 30.0}


async def test_a_client_that_never_reads_is_closed_1013_and_others_get_every_message(
    served: Served,
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender, laptop = await socket_of(served, anna), await socket_of(served, anna)
    # Ben's client stops reading at once: a tiny receive window, and its library stops
    # taking frames off the socket after one.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", int(served.url.rsplit(":", 1)[1])))
    slow = await open_socket(
        served, ben, sock=raw, max_queue=1, ping_interval=None, compression=None
    )
    assert (await receive(slow))["type"] == "welcome"
    await slow.send(json.dumps({"type": "resume", "conversations": {}}))
    big = "x" * 4000
    n = 0
    while served.gateway.connections_of(ben.id) and n < 3000:
        # Every send is acknowledged and reaches Anna's other socket, in order, while
        # Ben's socket is stuck (each frame within the helpers' deadline).
        await sender.send_message(conversation, f"c-{n}", big)
        await sender.frame("ack")
        frame = await laptop.frame("message")
        assert frame["message"]["clientId"] == f"c-{n}"
        n += 1
    assert served.gateway.connections_of(ben.id) == 0
    assert await close_code_after_draining(slow) == 1013
