"""How many SQL statements a chat send batch sends, fixed (as Zulip asserts query counts): a change
that adds one fails here and has to say why by changing the number. Counted on both
databases; the numbers are the same."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from bankchat.bus import InProcessBus
from bankchat.messaging import service as messaging
from bankchat.uow import unit_of_work
from tests.query_counts import statements

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# One read (membership and duplicates), the sequence update, the insert, the read mark.
SEND_BATCH = 4


async def _send_batch(engine: AsyncEngine, size: int) -> list[str]:
    sessions = db.session_factory(engine)
    person = str(uuid.uuid4())
    async with unit_of_work(sessions, InProcessBus()) as tx:
        conversation = await messaging.ensure_assistant_conversation(tx, person, now=NOW)
    with statements() as seen:
        sent = await asyncio.gather(
            *(
                messaging.send_and_commit(
                    sessions,
                    conversation_id=conversation.id,
                    sender_id=person,
                    client_id=f"c-{n}",
                    kind="text",
                    body={"text": f"Nachricht {n}"},
                    now=NOW,
                )
                for n in range(size)
            )
        )
    assert [s.message.seq for s in sent] == list(range(1, size + 1))
    return seen


async def test_a_lone_chat_send_costs_the_statements_of_a_batch(db_engine: AsyncEngine) -> None:
    assert len(await _send_batch(db_engine, 1)) == SEND_BATCH


async def test_a_batch_of_chat_sends_costs_the_same_statements_as_one(
    db_engine: AsyncEngine,
) -> None:
    assert len(await _send_batch(db_engine, 25)) == SEND_BATCH
