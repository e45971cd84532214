"""The messenger's REST routes (docs/protocol.md, "REST") on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from bankchat.messaging import service
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from tests.messaging.conftest import direct_conversation
from tests.platform_support import Person, sign_up


async def send_text(
    person: Person, conversation_id: str, client_id: str, text: str = "Hallo!"
) -> httpx.Response:
    return await person.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"clientId": client_id, "kind": "text", "body": {"text": text}},
    )


async def conversations(person: Person) -> list[dict[str, Any]]:
    response = await person.api.get("/api/v1/conversations")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


async def listed(person: Person, conversation_id: str) -> dict[str, Any]:
    [found] = [c for c in await conversations(person) if c["id"] == conversation_id]
    return found


async def test_every_person_has_an_assistant_conversation(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app, language="de", name="Anna")
    [only] = await conversations(anna)
    assert only["kind"] == "assistant"
    assert only["title"] == "Assistent"
    assert {m["id"] for m in only["members"]} == {anna.id, "assistant"}
    assert (await conversations(anna))[0]["id"] == only["id"]


async def test_direct_conversation_is_unique_per_pair(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app, name="Anna")
    ben = await sign_up(platform_app, name="Ben")
    first = await direct_conversation(anna, ben)
    assert await direct_conversation(ben, anna) == first
    assert await direct_conversation(anna, ben) == first
    opened = await listed(ben, first)
    assert opened["kind"] == "direct"
    assert opened["title"] == "Anna"
    assert {m["displayName"] for m in opened["members"]} == {"Anna", "Ben"}


async def test_a_conversation_with_oneself_is_refused(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    response = await anna.post("/api/v1/conversations", json={"personId": anna.id})
    assert response.status_code == 422
    assert response.json()["code"] == "SELF_CONVERSATION"


async def test_a_conversation_with_nobody_is_refused(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    response = await anna.post(
        "/api/v1/conversations", json={"personId": "00000000-0000-4000-8000-000000000000"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "PERSON_UNKNOWN"


async def test_messages_get_consecutive_sequence_numbers(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    seqs = []
    for n, sender in enumerate([anna, ben, anna, anna]):
        response = await send_text(sender, conversation, f"c-{n}")
        assert response.status_code == 201, response.text
        seqs.append(response.json()["seq"])
    assert seqs == [1, 2, 3, 4]


async def test_a_resent_client_id_is_stored_once(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    first = await send_text(anna, conversation, "web-1", "Hallo!")
    again = await send_text(anna, conversation, "web-1", "Hallo!")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    history = (await anna.api.get(f"/api/v1/conversations/{conversation}/messages")).json()
    assert [m["clientId"] for m in history["messages"]] == ["web-1"]


async def test_the_same_client_id_of_another_sender_is_another_message(
    platform_app: FastAPI,
) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    assert (await send_text(anna, conversation, "web-1")).json()["seq"] == 1
    assert (await send_text(ben, conversation, "web-1")).json()["seq"] == 2


async def test_history_pages_backwards_oldest_first(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    for n in range(1, 8):
        await send_text(anna, conversation, f"c-{n}", f"message {n}")
    path = f"/api/v1/conversations/{conversation}/messages"
    newest = (await ben.api.get(path, params={"limit": 3})).json()
    assert [m["seq"] for m in newest["messages"]] == [5, 6, 7]
    assert newest["nextBefore"] == 5
    middle = (await ben.api.get(path, params={"limit": 3, "before": 5})).json()
    assert [m["seq"] for m in middle["messages"]] == [2, 3, 4]
    oldest = (await ben.api.get(path, params={"limit": 3, "before": 2})).json()
    assert [m["body"]["text"] for m in oldest["messages"]] == ["message 1"]
    assert oldest["nextBefore"] is None


async def test_message_shape_follows_the_protocol(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    message = (await send_text(anna, conversation, "web-8c1a")).json()
    assert set(message) == {
        "id",
        "conversationId",
        "seq",
        "senderId",
        "clientId",
        "kind",
        "body",
        "createdAt",
    }
    assert message["senderId"] == anna.id
    assert message["body"] == {"text": "Hallo!"}
    assert message["createdAt"].endswith("Z")


async def test_rest_answers_messages_in_the_one_wire_form(
    platform_app: FastAPI, platform: Platform
) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    sent = (await send_text(anna, conversation, "web-wire")).json()
    async with platform.sessions() as session:
        [stored], _ = await service.history(session, anna.id, conversation, None, 10)
    wire = service.message_json(stored)
    history = await anna.api.get(f"/api/v1/conversations/{conversation}/messages")
    assert sent == wire
    assert history.json()["messages"] == [wire]
    assert (await listed(anna, conversation))["lastMessage"] == wire


async def test_unread_counts_what_others_wrote_since_the_read_mark(
    platform_app: FastAPI,
) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    for n in range(3):
        await send_text(anna, conversation, f"a-{n}")
    ben_view = await listed(ben, conversation)
    assert (ben_view["unread"], ben_view["lastSeq"], ben_view["lastReadSeq"]) == (3, 3, 0)
    assert ben_view["lastMessage"]["clientId"] == "a-2"
    assert (await listed(anna, conversation))["unread"] == 0


async def test_a_read_receipt_clears_unread(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    for n in range(3):
        await send_text(anna, conversation, f"a-{n}")
    response = await ben.post(f"/api/v1/conversations/{conversation}/read", json={"seq": 2})
    assert response.status_code == 204
    assert (await listed(ben, conversation))["unread"] == 1


async def test_a_read_mark_never_moves_back_or_past_the_newest(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    for n in range(3):
        await send_text(anna, conversation, f"a-{n}")
    read = f"/api/v1/conversations/{conversation}/read"
    await ben.post(read, json={"seq": 99})
    assert (await listed(ben, conversation))["lastReadSeq"] == 3
    await ben.post(read, json={"seq": 1})
    assert (await listed(ben, conversation))["lastReadSeq"] == 3


async def test_replying_marks_the_conversation_read(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    await send_text(anna, conversation, "a-1")
    await send_text(ben, conversation, "b-1")
    assert (await listed(ben, conversation))["unread"] == 0


async def test_conversations_are_listed_most_recent_first(
    platform_app: FastAPI, world: World
) -> None:
    start = world.clock()
    ticks = itertools.count()
    world.clock = lambda: start + timedelta(seconds=next(ticks))
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    cleo = await sign_up(platform_app)
    with_ben = await direct_conversation(anna, ben)
    with_cleo = await direct_conversation(anna, cleo)
    await send_text(anna, with_cleo, "c-1")
    await send_text(anna, with_ben, "b-1")
    order = [c["id"] for c in await conversations(anna)]
    assert order.index(with_ben) < order.index(with_cleo)


async def test_people_cannot_send_what_only_the_assistant_sends(
    platform_app: FastAPI,
) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    response = await anna.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"clientId": "x", "kind": "notice", "body": {"code": "HELLO", "params": {}}},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "KIND_NOT_ALLOWED"


async def test_a_text_over_4000_characters_is_too_long(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    assert (await send_text(anna, conversation, "ok", "x" * 4000)).status_code == 201
    response = await send_text(anna, conversation, "long", "x" * 4001)
    assert response.status_code == 422
    assert response.json()["code"] == "MESSAGE_TOO_LONG"


async def test_a_body_not_of_its_kind_is_refused(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    for body in ({"txt": "hi"}, {"text": ""}, {"text": "a\x00b"}, {"text": "hi", "x": 1}):
        response = await anna.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"clientId": "bad", "kind": "text", "body": body},
        )
        assert response.status_code == 422, body
        assert response.json()["code"] == "INVALID_MESSAGE", body
        assert "hi" not in response.text


async def test_a_tapped_quick_reply_is_stored(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    response = await anna.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={
            "clientId": "tap-1",
            "kind": "quick_reply",
            "body": {"text": "Yes, that was me", "payload": "fraud.confirm"},
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["body"]["payload"] == "fraud.confirm"


async def test_a_non_member_gets_conversation_unknown_on_every_route(
    platform_app: FastAPI,
) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app)
    eve = await sign_up(platform_app)
    conversation = await direct_conversation(anna, ben)
    await send_text(anna, conversation, "a-1")
    path = f"/api/v1/conversations/{conversation}"
    answers = [
        await eve.api.get(f"{path}/messages"),
        await send_text(eve, conversation, "e-1"),
        await eve.post(f"{path}/read", json={"seq": 1}),
    ]
    for response in answers:
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "CONVERSATION_UNKNOWN"
    missing = "/api/v1/conversations/00000000-0000-4000-8000-000000000000/messages"
    assert (await eve.api.get(missing)).json()["code"] == "CONVERSATION_UNKNOWN"
    history = (await anna.api.get(f"{path}/messages")).json()
    assert [m["senderId"] for m in history["messages"]] == [anna.id]
    assert conversation not in {c["id"] for c in await conversations(eve)}


async def test_people_search_finds_display_names_by_prefix(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app, name="Searcher")
    await sign_up(platform_app, name="Zoë Zimmermann")
    await sign_up(platform_app, name="Zora Zorn")
    found = (await anna.api.get("/api/v1/people", params={"query": "zo"})).json()
    assert {p["displayName"] for p in found} >= {"Zoë Zimmermann", "Zora Zorn"}
    assert all(p["displayName"].lower().startswith("zo") for p in found)


async def test_people_search_finds_an_exact_email(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app, name="Ben")
    found = (await anna.api.get("/api/v1/people", params={"query": ben.email.upper()})).json()
    assert found == [{"id": ben.id, "displayName": "Ben"}]


async def test_people_search_never_returns_the_caller(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app, name="Narcissus Self")
    by_name = (await anna.api.get("/api/v1/people", params={"query": "Narcissus"})).json()
    by_email = (await anna.api.get("/api/v1/people", params={"query": anna.email})).json()
    assert anna.id not in {p["id"] for p in by_name + by_email}


async def test_people_search_needs_two_characters(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    response = await anna.api.get("/api/v1/people", params={"query": "a"})
    assert response.status_code == 422


async def test_people_search_treats_wildcards_literally(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    await sign_up(platform_app, name="Percy")
    assert (await anna.api.get("/api/v1/people", params={"query": "%%"})).json() == []


async def test_contacts_are_kept_once_each(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    ben = await sign_up(platform_app, name="Ben")
    for _ in range(2):
        response = await anna.post("/api/v1/contacts", json={"personId": ben.id})
        assert response.status_code == 201, response.text
    assert (await anna.api.get("/api/v1/contacts")).json() == [{"id": ben.id, "displayName": "Ben"}]
    assert (await ben.api.get("/api/v1/contacts")).json() == []


async def test_contacts_are_listed_by_name_in_one_query(
    platform_app: FastAPI, platform: Platform
) -> None:
    anna = await sign_up(platform_app)
    zoe = await sign_up(platform_app, name="Zoe")
    ben = await sign_up(platform_app, name="Ben")
    for contact in (zoe, ben):
        response = await anna.post("/api/v1/contacts", json={"personId": contact.id})
        assert response.status_code == 201, response.text
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(platform.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with platform.sessions() as session:
            listed = await service.list_contacts(session, anna.id)
    finally:
        event.remove(platform.engine.sync_engine, "before_cursor_execute", record)
    assert listed == [(ben.id, "Ben"), (zoe.id, "Zoe")]
    assert len(statements) == 1


async def test_unknown_people_cannot_be_contacts(platform_app: FastAPI) -> None:
    anna = await sign_up(platform_app)
    response = await anna.post(
        "/api/v1/contacts", json={"personId": "00000000-0000-4000-8000-000000000000"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "PERSON_UNKNOWN"


async def test_the_assistant_posts_into_the_persons_assistant_conversation(
    platform_app: FastAPI, platform: Platform
) -> None:
    anna = await sign_up(platform_app)
    async with platform.unit_of_work() as tx:
        card = await service.post_from_assistant(
            tx,
            anna.id,
            "card",
            {"card": {"type": "balance", "amount": "12.50"}},
            now=platform.clock(),
            client_id="balance-1",
        )
        notice = await service.post_notice(
            tx, anna.id, "CONSENT_EXPIRES_SOON", {"days": 7}, now=platform.clock()
        )
    assert (card.message.seq, notice.message.seq) == (1, 2)
    assert set(card.member_ids) == {anna.id, "assistant"}
    [assistant] = await conversations(anna)
    assert assistant["id"] == card.message.conversation_id
    assert assistant["unread"] == 2
    assert assistant["lastMessage"]["senderId"] == "system"
    assert assistant["lastMessage"]["body"] == {
        "code": "CONSENT_EXPIRES_SOON",
        "params": {"days": 7},
    }
