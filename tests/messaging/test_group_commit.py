"""Group commit: sends arriving together share one transaction, and each still gets its
own number, acknowledgement or refusal (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bankchat import db
from bankchat.bus import InProcessBus
from bankchat.messaging import service, writer
from bankchat.messaging.sending import Draft, Outcome
from bankchat.uow import unit_of_work

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def assistant_conversation(sessions: async_sessionmaker[AsyncSession], person: str) -> str:
    async with unit_of_work(sessions, InProcessBus()) as tx:
        conversation = await service.ensure_assistant_conversation(tx, person, now=NOW)
    return conversation.id


def send(
    sessions: async_sessionmaker[AsyncSession],
    conversation_id: str,
    sender_id: str,
    client_id: str,
    text: str = "Hallo!",
) -> asyncio.Task[service.Sent]:
    return asyncio.ensure_future(
        service.send_and_commit(
            sessions,
            conversation_id=conversation_id,
            sender_id=sender_id,
            client_id=client_id,
            kind="text",
            body={"text": text},
            now=NOW,
        )
    )


@pytest.fixture
def sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(db_engine)


async def test_sends_arriving_together_share_one_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)
    before = writer.writer_for(sessions).batches
    await asyncio.gather(*(send(sessions, conversation, person, f"c-{n}") for n in range(20)))
    assert writer.writer_for(sessions).batches - before == 1


async def test_sends_in_one_batch_are_numbered_in_the_order_they_arrived(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)
    sent = await asyncio.gather(
        *(send(sessions, conversation, person, f"c-{n}", f"text {n}") for n in range(20))
    )
    assert [s.message.seq for s in sent] == list(range(1, 21))
    async with db.transaction(sessions) as session:
        stored = await service.after(session, conversation, 0, 100)
    assert [m.body["text"] for m in stored] == [f"text {n}" for n in range(20)]


async def test_each_conversation_in_a_batch_is_numbered_on_its_own(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = [str(uuid.uuid4()) for _ in range(3)]
    conversations = [await assistant_conversation(sessions, p) for p in people]
    sent = await asyncio.gather(
        *(
            send(sessions, conversation, person, f"c-{n}")
            for n in range(4)
            for person, conversation in zip(people, conversations, strict=True)
        )
    )
    numbers: dict[str, list[int]] = {}
    for s in sent:
        numbers.setdefault(s.message.conversation_id, []).append(s.message.seq)
    assert numbers == {conversation: [1, 2, 3, 4] for conversation in conversations}


async def test_a_client_id_twice_in_one_batch_is_answered_as_the_duplicate(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)
    first, other, again = await asyncio.gather(
        send(sessions, conversation, person, "same"),
        send(sessions, conversation, person, "other"),
        send(sessions, conversation, person, "same"),
    )
    assert (first.duplicate, other.duplicate, again.duplicate) == (False, False, True)
    assert again.message.id == first.message.id
    assert (first.message.seq, other.message.seq) == (1, 2)


async def test_a_refused_send_in_a_batch_fails_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)
    outcomes = await asyncio.gather(
        send(sessions, conversation, person, "c-1"),
        send(sessions, conversation, stranger, "intruder"),
        send(sessions, conversation, person, "c-2"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], service.ConversationUnknown)
    assert [o.message.seq for o in outcomes if isinstance(o, service.Sent)] == [1, 2]


async def test_a_batch_whose_transaction_fails_is_written_send_by_send(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    person = str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)

    write = writer.GroupCommitWriter._transaction

    async def failing_with_company(
        self: writer.GroupCommitWriter, drafts: Sequence[Draft]
    ) -> list[Outcome]:
        # Stands in for a client id that raced in from another process: the batch's
        # INSERT fails, and so does that one send whenever it is written.
        if len(drafts) > 1 or drafts[0].client_id == "raced":
            raise IntegrityError("INSERT", {}, Exception("unique"))
        return await write(self, drafts)

    monkeypatch.setattr(writer.GroupCommitWriter, "_transaction", failing_with_company)
    outcomes = await asyncio.gather(
        send(sessions, conversation, person, "c-1"),
        send(sessions, conversation, person, "raced"),
        send(sessions, conversation, person, "c-2"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], service.SendRaced)
    assert [o.message.seq for o in outcomes if isinstance(o, service.Sent)] == [1, 2]


async def test_a_batch_moves_each_senders_read_mark_to_their_last_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = str(uuid.uuid4())
    conversation = await assistant_conversation(sessions, person)
    await asyncio.gather(
        send(sessions, conversation, "assistant", "a-1"),
        send(sessions, conversation, person, "p-1"),
        send(sessions, conversation, "assistant", "a-2"),
    )
    async with db.transaction(sessions) as session:
        [summary] = await service.list_conversations(session, person)
    assert (summary.last_read_seq, summary.unread) == (2, 1)


async def test_storing_in_a_session_updates_the_conversation_it_holds(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = str(uuid.uuid4())
    async with unit_of_work(sessions, InProcessBus()) as tx:
        session = tx.session
        conversation = await service.ensure_assistant_conversation(tx, person, now=NOW)
        await service.post_from_assistant(tx, person, "text", {"text": "Hi"}, now=NOW)
        sent = await service.post_from_assistant(tx, person, "text", {"text": "Ho"}, now=NOW)
        assert (conversation.last_seq, sent.message.seq) == (2, 2)
        [summary] = await service.list_conversations(session, person)
        assert summary.unread == 2
