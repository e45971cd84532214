"""Notices about bank connections in the person's assistant chat."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from bankchat.events import ConnectionLinked
from bankchat.messaging.models import Conversation, ConversationMember
from bankchat.messaging.notices import subscribe_notices
from bankchat.platform import Platform
from tests.platform_support import Person, link, sign_up


async def _assistant_notices(person: Person) -> list[dict[str, Any]]:
    conversations = (await person.api.get("/api/v1/conversations")).json()
    [assistant] = [c for c in conversations if c["kind"] == "assistant"]
    page = (await person.api.get(f"/api/v1/conversations/{assistant['id']}/messages")).json()
    return [m["body"] for m in page["messages"] if m["kind"] == "notice"]


async def test_linking_and_revoking_a_bank_are_told_in_the_assistant_chat(
    platform_app: FastAPI, platform: Platform
) -> None:
    unsubscribe = subscribe_notices(platform)
    try:
        person = await sign_up(platform_app)
        connection_id = await link(person, "nordbank")
        await platform.bus.drain()
        assert await _assistant_notices(person) == [
            {"code": "BANK_LINKED", "params": {"bank": "Nordbank Test"}}
        ]
        await person.api.delete(f"/api/v1/connections/{connection_id}")
        await platform.bus.drain()
        notices = await _assistant_notices(person)
    finally:
        unsubscribe()
    assert [n["code"] for n in notices] == ["BANK_LINKED", "BANK_REVOKED"]


async def test_a_repeated_event_posts_one_notice(platform_app: FastAPI, platform: Platform) -> None:
    unsubscribe = subscribe_notices(platform)
    try:
        person = await sign_up(platform_app)
        event = ConnectionLinked(person_id=person.id, connection_id="c-1", bank_id="nordbank")
        for _ in range(2):
            await platform.bus.publish(event)
        await platform.bus.drain()
    finally:
        unsubscribe()
    assert len(await _assistant_notices(person)) == 1


async def test_a_new_person_gets_the_assistant_chat_at_sign_up(
    platform_app: FastAPI, platform: Platform
) -> None:
    unsubscribe = subscribe_notices(platform)
    try:
        person = await sign_up(platform_app)
        await platform.bus.drain()
    finally:
        unsubscribe()
    async with platform.sessions() as session:
        kinds = (
            await session.execute(
                select(Conversation.kind)
                .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
                .where(ConversationMember.member_id == person.id)
            )
        ).scalars()
        assert list(kinds) == ["assistant"]
