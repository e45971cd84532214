"""Resuming: a catch-up far larger than the live-queue bound, and a message committed at
exactly the moments a resume could lose or repeat it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection

from bankchat.identity.deps import SESSION_COOKIE
from bankchat.messaging import service
from bankchat.messaging.gateway import Gateway
from bankchat.platform import Platform
from tests.messaging.conftest import (
    Served,
    direct_conversation,
    quiet_frames,
    receive,
    session_token,
    socket_of,
)
from tests.platform_support import Person, sign_up

QUEUE_BOUND = 8


@pytest.fixture
def gateway_options() -> dict[str, Any]:
    return {"queue_size": QUEUE_BOUND, "heartbeat_seconds": 30.0, "resume_page": 16}


async def store_texts(
    platform: Platform, conversation: str, sender: Person, count: int, text: str = "x"
) -> None:
    await asyncio.gather(
        *(
            service.send_and_commit(
                platform.sessions,
                conversation_id=conversation,
                sender_id=sender.id,
                client_id=f"stored-{n}",
                kind="text",
                body={"text": text},
                now=platform.clock(),
            )
            for n in range(count)
        )
    )


async def read_catch_up(ws: ClientConnection) -> tuple[list[int], dict[str, Any]]:
    """The message numbers of a catch-up and the ``resumed`` frame ending it."""
    seqs: list[int] = []
    while True:
        frame = await receive(ws)
        if frame["type"] == "resumed":
            return seqs, frame
        assert frame["type"] == "message", frame
        seqs.append(frame["message"]["seq"])


async def test_a_catch_up_many_times_the_queue_bound_arrives_whole_and_keeps_the_socket(
    served: Served, platform: Platform
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    await store_texts(platform, conversation, anna, 40 * QUEUE_BOUND)
    back = await socket_of(served, ben, resume={conversation: 0})
    seqs, resumed = await read_catch_up(back.ws)
    assert seqs == list(range(1, 40 * QUEUE_BOUND + 1))
    assert resumed["lastSeq"] == 40 * QUEUE_BOUND
    sender = await socket_of(served, anna)
    await sender.send_message(conversation, "live")
    assert (await back.frame("message"))["message"]["seq"] == 40 * QUEUE_BOUND + 1
    assert served.gateway.connections_of(ben.id) == 1


class StalledSocket:
    """The server side of a socket whose client stops reading until ``read_on`` is set:
    what ``Gateway.serve`` uses of a Starlette WebSocket, with no kernel buffers between
    the gateway's writer and the client, so the stall is exact."""

    def __init__(self, origin: str, token: str) -> None:
        self.headers = {"origin": origin}
        self.cookies = {SESSION_COOKIE: token}
        self.read_on = asyncio.Event()
        self.written: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.close_code: int | None = None

    async def accept(self) -> None:
        return None

    async def send_text(self, text: str) -> None:
        await self.read_on.wait()
        self.written.put_nowait(json.loads(text))

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def close(self, code: int) -> None:
        self.close_code = code

    def client_sends(self, frame: dict[str, Any]) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(frame)})


async def test_a_client_pausing_during_a_big_catch_up_is_pinged_not_closed(
    platform_app: FastAPI, platform: Platform
) -> None:
    anna, ben = await sign_up(platform_app), await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    count = 40 * QUEUE_BOUND
    await store_texts(platform, conversation, anna, count)
    gateway = Gateway(platform, queue_size=QUEUE_BOUND, heartbeat_seconds=0.5)
    stalled = StalledSocket(platform.public_url, session_token(ben))
    serving = asyncio.create_task(gateway.serve(stalled))  # type: ignore[arg-type]
    stalled.client_sends({"type": "resume", "conversations": {conversation: 0}})
    # Longer than a heartbeat: a ping is due while the catch-up waits for the client.
    await asyncio.sleep(0.7)
    stalled.read_on.set()
    seqs: list[int] = []
    while (frame := await asyncio.wait_for(stalled.written.get(), 5)) != {
        "type": "resumed",
        "conversationId": conversation,
        "lastSeq": count,
    }:
        if frame["type"] == "ping":
            stalled.client_sends({"type": "pong"})
        elif frame["type"] == "message":
            seqs.append(frame["message"]["seq"])
    assert seqs == list(range(1, count + 1))
    assert (stalled.close_code, gateway.connections_of(ben.id)) == (None, 1)
    stalled.incoming.put_nowait({"type": "websocket.disconnect"})
    await serving


class CommitDuringCatchUp:
    """A catch-up hook that, at one stage of one conversation's catch-up, stores a
    message and waits until its live event has reached the resuming socket."""

    def __init__(self, platform: Platform, stage: str, conversation: str, sender: Person):
        self.platform = platform
        self.stage = stage
        self.conversation = conversation
        self.sender = sender
        self.fired = False

    async def __call__(self, stage: str, conversation_id: str) -> None:
        if self.fired or (stage, conversation_id) != (self.stage, self.conversation):
            return
        self.fired = True
        sent = await service.send_and_commit(
            self.platform.sessions,
            conversation_id=self.conversation,
            sender_id=self.sender.id,
            client_id="during-resume",
            kind="text",
            body={"text": "während"},
            now=self.platform.clock(),
        )
        await service.publish_sent(self.platform.bus, sent)
        await self.platform.bus.drain()


async def test_a_message_committed_before_the_catch_up_reads_comes_once_within_it(
    served: Served, platform: Platform
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    await store_texts(platform, conversation, anna, 3)
    hook = CommitDuringCatchUp(platform, "read", conversation, anna)
    served.gateway.catch_up_hook = hook
    back = await socket_of(served, ben, resume={conversation: 0})
    seqs, resumed = await read_catch_up(back.ws)
    assert hook.fired
    assert (seqs, resumed["lastSeq"]) == ([1, 2, 3, 4], 4)
    assert await quiet_frames(back.ws) == []


async def test_a_message_committed_after_the_catch_up_read_comes_once_after_it(
    served: Served, platform: Platform
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    await store_texts(platform, conversation, anna, 3)
    hook = CommitDuringCatchUp(platform, "done", conversation, anna)
    served.gateway.catch_up_hook = hook
    back = await socket_of(served, ben, resume={conversation: 0})
    seqs, resumed = await read_catch_up(back.ws)
    assert hook.fired
    assert (seqs, resumed["lastSeq"]) == ([1, 2, 3], 3)
    live = [f["message"]["seq"] for f in await quiet_frames(back.ws) if f["type"] == "message"]
    assert live == [4]
