"""The assistant in a serving process: it answers what reaches it on the bus, in order per
conversation without one conversation holding up another, and over the real WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.listener import Assistant
from bankchat.assistant.service import Understands, incoming_of
from bankchat.events import MessageStored, ReadReceipt
from bankchat.messaging import service as messaging
from bankchat.messaging.schemas import ASSISTANT_ID
from bankchat.platform import Platform
from tests.assistant.conftest import Chat, ScriptedNlu, open_chat
from tests.messaging.conftest import Served, socket_of
from tests.platform_support import link, sign_up

WAIT = 10.0


def frame_of(message: Any) -> MessageStored:
    return MessageStored(recipient_id=ASSISTANT_ID, message=messaging.message_json(message))


def wire(sender_id: str, kind: str, body: dict[str, Any], seq: int) -> MessageStored:
    return MessageStored(
        recipient_id=ASSISTANT_ID,
        message={
            "id": "m",
            "conversationId": "c",
            "seq": seq,
            "senderId": sender_id,
            "clientId": "x",
            "kind": kind,
            "body": body,
            "createdAt": "2026-12-01T10:00:00.000Z",
        },
    )


async def posted_frame(chat: Chat, text: str) -> MessageStored:
    sent = await messaging.send_and_commit(
        chat.platform.sessions,
        conversation_id=chat.conversation_id,
        sender_id=chat.person_id,
        client_id=f"listener-{text}",
        kind="text",
        body={"text": text},
        now=chat.platform.clock(),
    )
    return frame_of(sent.message)


def test_the_assistants_own_messages_are_not_answered() -> None:
    assert incoming_of(wire(ASSISTANT_ID, "text", {"text": "Hello"}, 2)) is None


def test_notices_and_other_frames_are_not_answered() -> None:
    notice = wire("system", "notice", {"code": "BANK_LINKED", "params": {}}, 1)
    assert incoming_of(notice) is None
    receipt = ReadReceipt(recipient_id=ASSISTANT_ID, conversation_id="c", reader_id="p", seq=1)
    assert incoming_of(receipt) is None


def test_a_persons_text_is_answered() -> None:
    incoming = incoming_of(wire("p", "text", {"text": "Hallo"}, 3))
    assert incoming is not None
    assert (incoming.sender_id, incoming.seq) == ("p", 3)


async def test_a_slow_conversation_does_not_hold_up_another(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    gate, fast_answered = asyncio.Event(), asyncio.Event()

    async def answer(turn: Turn, **options: Any) -> Reply:
        if turn.text == "slow":
            await gate.wait()
        else:
            fast_answered.set()
        return Reply(turn).say_text(f"answer to {turn.text}")

    slow_chat, fast_chat = [
        await open_chat(platform, (await sign_up(platform_app)).id, scripted) for _ in range(2)
    ]
    assistant = Assistant(platform, lambda: scripted, respond=answer)
    slow = await posted_frame(slow_chat, "slow")
    await assistant.on_frame(slow)
    await assistant.on_frame(await posted_frame(fast_chat, "fast"))
    await asyncio.wait_for(fast_answered.wait(), WAIT)
    await asyncio.wait_for(assistant.idle_of(fast_chat.conversation_id), WAIT)
    assert (await slow_chat.answers_to(incoming_of(slow))).messages == []  # type: ignore[arg-type]
    gate.set()
    await asyncio.wait_for(assistant.idle(), WAIT)
    [reply] = (await slow_chat.answers_to(incoming_of(slow))).messages  # type: ignore[arg-type]
    assert reply.text == "answer to slow"
    await assistant.close()


async def test_the_messages_of_one_conversation_are_answered_in_order(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    async def echo(turn: Turn, **options: Any) -> Reply:
        return Reply(turn).say_text(f"answer to {turn.text}")

    chat = await open_chat(platform, (await sign_up(platform_app)).id, scripted)
    assistant = Assistant(platform, lambda: scripted, respond=echo)
    for text in ("one", "two", "three"):
        await assistant.on_frame(await posted_frame(chat, text))
    await asyncio.wait_for(assistant.idle(), WAIT)
    async with platform.sessions() as session:
        history = await messaging.after(session, chat.conversation_id, 0, 100)
    assert [m.body["text"] for m in history if m.sender_id == ASSISTANT_ID] == [
        "answer to one",
        "answer to two",
        "answer to three",
    ]
    await assistant.close()


async def test_the_assistant_answers_over_the_websocket(
    served: Served, platform: Platform, trained_nlu: Understands
) -> None:
    person = await sign_up(served.app, language="de")
    await link(person, "nordbank")
    socket = await socket_of(served, person)
    conversations = (await person.api.get("/api/v1/conversations")).json()
    [assistant] = [c for c in conversations if c["kind"] == "assistant"]
    await socket.send_message(assistant["id"], "ws-1", "Wie ist mein Kontostand?")
    frames = []
    while not any(f["message"]["kind"] == "quick_replies" for f in frames):
        frame = await socket.frame("message", within=WAIT)
        if frame["message"]["senderId"] == ASSISTANT_ID:
            frames.append(frame)
    card, buttons = (f["message"] for f in frames)
    assert card["kind"] == "card"
    assert card["body"]["card"]["type"] == "balance"
    assert card["body"]["card"]["language"] == "de"
    assert buttons["clientId"].startswith("re:")
    await socket.close()


async def test_an_nlu_that_cannot_load_is_answered_with_the_apology(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    def broken_loader() -> Understands:
        raise OSError("the model file is unreadable")

    chat = await open_chat(platform, (await sign_up(platform_app)).id, scripted)
    assistant = Assistant(platform, broken_loader)
    hello = await posted_frame(chat, "hello")
    await assistant.on_frame(hello)
    await asyncio.wait_for(assistant.idle(), WAIT)
    [reply] = (await chat.answers_to(incoming_of(hello))).messages  # type: ignore[arg-type]
    assert reply.text == "Sorry, something went wrong on my side. Please try again in a moment."
    await assistant.close()
