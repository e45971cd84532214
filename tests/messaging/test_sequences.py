"""Sequence numbers and idempotent client ids under any order of sends and resends."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.bus import InProcessBus
from bankchat.messaging import service
from bankchat.uow import unit_of_work

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

sends = st.lists(
    st.tuples(st.sampled_from(["person", "assistant"]), st.sampled_from("abcdef")),
    min_size=1,
    max_size=25,
)


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=sends)
async def test_sequence_numbers_are_gapless_and_resends_are_stored_once(
    db_engine: AsyncEngine, plan: list[tuple[str, str]]
) -> None:
    sessions = db.session_factory(db_engine)
    person = str(uuid.uuid4())
    async with unit_of_work(sessions, InProcessBus()) as tx:
        conversation = await service.ensure_assistant_conversation(tx, person, now=NOW)
    first_seq: dict[tuple[str, str], int] = {}
    for role, client_id in plan:
        sender = person if role == "person" else "assistant"
        sent = await service.send_and_commit(
            sessions,
            conversation_id=conversation.id,
            sender_id=sender,
            client_id=client_id,
            kind="text",
            body={"text": f"{role} {client_id}"},
            now=NOW,
        )
        key = (sender, client_id)
        assert sent.duplicate == (key in first_seq)
        expected = first_seq.setdefault(key, len(first_seq) + 1)
        assert sent.message.seq == expected
    async with db.transaction(sessions) as session:
        stored = await service.after(session, conversation.id, 0, 100)
        assert await service.last_seq(session, conversation.id) == len(first_seq)
    assert [m.seq for m in stored] == list(range(1, len(first_seq) + 1))
    assert {(m.sender_id, m.client_id): m.seq for m in stored} == first_seq


async def test_concurrent_senders_get_distinct_consecutive_numbers(db_engine: AsyncEngine) -> None:
    sessions = db.session_factory(db_engine)
    person = str(uuid.uuid4())
    async with unit_of_work(sessions, InProcessBus()) as tx:
        conversation = await service.ensure_assistant_conversation(tx, person, now=NOW)

    async def one(n: int) -> int:
        sent = await service.send_and_commit(
            sessions,
            conversation_id=conversation.id,
            sender_id=person if n % 2 else "assistant",
            client_id=f"c-{n}",
            kind="text",
            body={"text": "hi"},
            now=NOW,
        )
        return sent.message.seq

    seqs = await asyncio.gather(*(one(n) for n in range(20)))
    assert sorted(seqs) == list(range(1, 21))


async def test_concurrent_resends_of_one_client_id_store_one_message(
    db_engine: AsyncEngine,
) -> None:
    sessions = db.session_factory(db_engine)
    person = str(uuid.uuid4())
    async with unit_of_work(sessions, InProcessBus()) as tx:
        conversation = await service.ensure_assistant_conversation(tx, person, now=NOW)
    results = await asyncio.gather(
        *(
            service.send_and_commit(
                sessions,
                conversation_id=conversation.id,
                sender_id=person,
                client_id="same",
                kind="text",
                body={"text": "hi"},
                now=NOW,
            )
            for _ in range(10)
        )
    )
    assert {r.message.id for r in results} == {results[0].message.id}
    assert sorted(r.duplicate for r in results) == [False] + [True] * 9
