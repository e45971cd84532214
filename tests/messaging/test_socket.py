"""The WebSocket protocol (docs/protocol.md, "The WebSocket") against a real server on
loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed

from bankchat.messaging import service
from bankchat.platform import Platform
from tests.messaging.conftest import (
    Served,
    direct_conversation,
    open_socket,
    quiet_frames,
    receive,
    session_token,
    socket_of,
)
from tests.platform_support import sign_up


async def close_code(served: Served, **options: object) -> int | None:
    ws = await open_socket(served, **options)  # type: ignore[arg-type]
    with pytest.raises(ConnectionClosed) as closed:
        await receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_socket_without_a_session_is_closed_4401(served: Served) -> None:
    assert await close_code(served, person=None) == 4401


async def test_a_socket_with_an_ended_session_is_closed_4401(served: Served) -> None:
    anna = await sign_up(served.app)
    token = session_token(anna)
    await anna.post("/api/v1/auth/logout")
    # The token that was valid a moment ago, presented again after the log-out.
    anna.api.cookies.set("bankchat_session", token)
    assert await close_code(served, person=anna) == 4401


async def test_a_socket_from_a_foreign_origin_is_closed_4403(served: Served) -> None:
    anna = await sign_up(served.app)
    assert await close_code(served, person=anna, origin="http://evil.example") == 4403


async def test_a_socket_is_welcomed_with_its_person_and_heartbeat(served: Served) -> None:
    anna = await sign_up(served.app)
    ws = await open_socket(served, anna)
    assert await receive(ws) == {"type": "welcome", "personId": anna.id, "heartbeatSeconds": 30.0}
    await ws.close()


async def test_messages_reach_the_other_member_in_sequence_order(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender, receiver = await socket_of(served, anna), await socket_of(served, ben)
    for n in range(20):
        await sender.send_message(conversation, f"c-{n}", f"message {n}")
    acks = [await sender.frame("ack") for _ in range(20)]
    received = [await receiver.frame("message") for _ in range(20)]
    assert [a["seq"] for a in acks] == list(range(1, 21))
    assert [f["message"]["seq"] for f in received] == list(range(1, 21))
    assert [f["message"]["body"]["text"] for f in received] == [f"message {n}" for n in range(20)]
    assert received[0]["message"]["senderId"] == anna.id


async def test_a_resend_over_the_socket_is_acknowledged_as_a_duplicate(
    served: Served,
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender, receiver = await socket_of(served, anna), await socket_of(served, ben)
    await sender.send_message(conversation, "web-1")
    first = await sender.frame("ack")
    await sender.send_message(conversation, "web-1")
    again = await sender.frame("ack")
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert again["seq"] == first["seq"]
    assert again["messageId"] == first["messageId"]
    assert (await receiver.frame("message"))["message"]["seq"] == first["seq"]
    assert await quiet_frames(receiver.ws) == []


async def test_the_senders_other_socket_gets_the_message_and_the_sending_one_only_the_ack(
    served: Served,
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    phone, laptop = await socket_of(served, anna), await socket_of(served, anna)
    await phone.send_message(conversation, "phone-1")
    ack = await phone.next()
    assert ack["type"] == "ack"
    copy = await laptop.frame("message")
    assert copy["message"]["clientId"] == "phone-1"
    assert copy["message"]["seq"] == ack["seq"]
    assert await quiet_frames(phone.ws) == []


async def test_two_sockets_of_one_person_both_receive(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender = await socket_of(served, anna)
    phone, laptop = await socket_of(served, ben), await socket_of(served, ben)
    await sender.send_message(conversation, "c-1")
    for socket in (phone, laptop):
        assert (await socket.frame("message"))["message"]["clientId"] == "c-1"


async def test_a_message_sent_over_rest_is_delivered_live(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    receiver = await socket_of(served, ben)
    response = await anna.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"clientId": "rest-1", "kind": "text", "body": {"text": "Hallo!"}},
    )
    assert response.status_code == 201
    assert (await receiver.frame("message"))["message"] == response.json()


async def test_an_assistant_message_reaches_the_persons_sockets(
    served: Served, platform: Platform
) -> None:
    anna = await sign_up(served.app)
    socket = await socket_of(served, anna)
    async with platform.unit_of_work() as tx:
        await service.post_from_assistant(
            tx, anna.id, "text", {"text": "Hi Anna"}, now=platform.clock()
        )
    frame = await socket.frame("message")
    assert frame["message"]["senderId"] == "assistant"
    assert frame["message"]["body"] == {"text": "Hi Anna"}


async def test_resuming_after_a_drop_delivers_every_missed_message_once(
    served: Served,
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender, receiver = await socket_of(served, anna), await socket_of(served, ben)
    for n in range(1, 3):
        await sender.send_message(conversation, f"c-{n}")
        await sender.frame("ack")
        await receiver.frame("message")
    await receiver.close()
    for n in range(3, 6):
        await sender.send_message(conversation, f"c-{n}")
        await sender.frame("ack")
    back = await socket_of(served, ben, resume={conversation: 2})
    caught_up = [await back.next() for _ in range(4)]
    assert [f["message"]["seq"] for f in caught_up[:3]] == [3, 4, 5]
    assert caught_up[3] == {"type": "resumed", "conversationId": conversation, "lastSeq": 5}
    await sender.send_message(conversation, "c-6")
    assert [f["message"]["seq"] for f in await quiet_frames(back.ws)] == [6]


async def test_resuming_while_messages_arrive_misses_none_and_repeats_none(
    served: Served,
) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    sender = await socket_of(served, anna)
    for n in range(1, 31):
        await sender.send_message(conversation, f"before-{n}")
    for n in range(1, 31):
        await sender.send_message(conversation, f"during-{n}")
    # The server is still storing and publishing those while Ben connects and resumes.
    receiver = await socket_of(served, ben, resume={conversation: 0})
    seqs: list[int] = []
    while len(seqs) < 60:
        frame = await receiver.next()
        if frame["type"] == "message":
            seqs.append(frame["message"]["seq"])
    seqs += [f["message"]["seq"] for f in await quiet_frames(receiver.ws) if "message" in f]
    assert seqs == list(range(1, 61))


async def test_resuming_a_foreign_conversation_is_refused(served: Served) -> None:
    anna, ben, eve = [await sign_up(served.app) for _ in range(3)]
    conversation = await direct_conversation(anna, ben)
    socket = await socket_of(served, eve)
    await socket.send({"type": "resume", "conversations": {conversation: 0}})
    assert (await socket.next())["code"] == "CONVERSATION_UNKNOWN"


async def test_sending_to_a_foreign_conversation_is_refused_and_stores_nothing(
    served: Served,
) -> None:
    anna, ben, eve = [await sign_up(served.app) for _ in range(3)]
    conversation = await direct_conversation(anna, ben)
    intruder, member = await socket_of(served, eve), await socket_of(served, ben)
    await intruder.send_message(conversation, "e-1")
    error = await intruder.next()
    assert error == {
        "type": "error",
        "code": "CONVERSATION_UNKNOWN",
        "detail": error["detail"],
        "clientId": "e-1",
    }
    assert await quiet_frames(member.ws) == []
    history = await anna.api.get(f"/api/v1/conversations/{conversation}/messages")
    assert history.json()["messages"] == []


async def test_an_invalid_frame_is_answered_and_the_socket_stays_open(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    socket = await socket_of(served, anna)
    for bad in ("not json", '{"type": "fly"}', '{"type": "send", "clientId": "x"}', "[]"):
        await socket.ws.send(bad)
        error = await socket.next()
        assert (error["type"], error["code"]) == ("error", "INVALID_FRAME"), bad
    await socket.ws.send(b"\x00binary")
    assert (await socket.next())["code"] == "INVALID_FRAME"
    await socket.send_message(conversation, "after")
    assert (await socket.next())["type"] == "ack"


async def test_a_too_long_text_over_the_socket_is_refused(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    socket = await socket_of(served, anna)
    await socket.send_message(conversation, "long", "x" * 4001)
    error = await socket.next()
    assert (error["code"], error["clientId"]) == ("MESSAGE_TOO_LONG", "long")


async def test_typing_reaches_the_other_member_only(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    typist, reader = await socket_of(served, anna), await socket_of(served, ben)
    await typist.send({"type": "typing", "conversationId": conversation})
    assert await reader.next() == {
        "type": "typing",
        "conversationId": conversation,
        "personId": anna.id,
    }
    assert await quiet_frames(typist.ws) == []


async def test_a_flood_of_typing_signals_reaches_the_other_member_once(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    typist, reader = await socket_of(served, anna), await socket_of(served, ben)
    for _ in range(200):
        await typist.send({"type": "typing", "conversationId": conversation})
    frames = [await reader.next(), *await quiet_frames(reader.ws, 0.5)]
    assert [f["type"] for f in frames] == ["typing"]
    assert served.gateway.connections_of(ben.id) == 1


async def test_a_read_receipt_reaches_the_other_member(served: Served) -> None:
    anna, ben = await sign_up(served.app), await sign_up(served.app)
    conversation = await direct_conversation(anna, ben)
    writer, reader = await socket_of(served, anna), await socket_of(served, ben)
    await writer.send_message(conversation, "c-1")
    seq = (await reader.frame("message"))["message"]["seq"]
    await reader.send({"type": "read", "conversationId": conversation, "seq": seq})
    assert await writer.frame("read") == {
        "type": "read",
        "conversationId": conversation,
        "personId": ben.id,
        "seq": seq,
    }


async def test_typing_in_a_foreign_conversation_is_refused(served: Served) -> None:
    anna, ben, eve = [await sign_up(served.app) for _ in range(3)]
    conversation = await direct_conversation(anna, ben)
    intruder, member = await socket_of(served, eve), await socket_of(served, ben)
    await intruder.send({"type": "typing", "conversationId": conversation})
    assert (await intruder.next())["code"] == "CONVERSATION_UNKNOWN"
    assert await quiet_frames(member.ws) == []
