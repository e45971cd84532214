"""Events reach the bus only after their unit of work commits.

For every event that a write produces, the real path that produces it (a route, a flow,
a worker step) runs while commits of the unit carrying that event are refused: the event
must never be published, and the write must not be there. A second run without the
refusal shows the same path does publish it, so each case proves something. Typing
signals are the one event that is not written anywhere, so there is nothing to roll back.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bankchat import hmac_signing
from bankchat.banking import service as banking
from bankchat.banking.models import Connection
from bankchat.bus import InProcessBus
from bankchat.events import (
    BankNotified,
    ConnectionEnded,
    ConnectionLinked,
    ConsentExpiring,
    Event,
    MessageStored,
    PersonCreated,
    ReadReceipt,
    SyncCompleted,
    SyncRequested,
    Typing,
)
from bankchat.identity.models import Person as PersonRow
from bankchat.messaging import service as messaging
from bankchat.platform import Platform
from bankchat.uow import UNIT_OF_WORK, Tx, unit_of_work
from tests.conftest import PARTNER_SECRET
from tests.platform_support import link, sign_up


class CommitRefused(RuntimeError):
    pass


@dataclass
class CommitGuard:
    """Refuses the commit of any unit of work that carries an event of type ``kind``."""

    kind: type[Event] | None = None
    refused: int = 0

    def before_commit(self, session: Session) -> None:
        tx = session.info.get(UNIT_OF_WORK)
        if self.kind is None or not isinstance(tx, Tx):
            return
        if any(isinstance(e, self.kind) for e in tx.events):
            self.refused += 1
            raise CommitRefused(f"commit refused for a unit carrying {self.kind.__name__}")


@pytest.fixture
def guard() -> Iterator[CommitGuard]:
    guard = CommitGuard()
    sa_event.listen(Session, "before_commit", guard.before_commit)
    try:
        yield guard
    finally:
        sa_event.remove(Session, "before_commit", guard.before_commit)


@dataclass
class Published:
    events: list[Event] = field(default_factory=list)

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def published(platform: Platform) -> Published:
    seen = Published()

    async def record(event: Event) -> None:
        seen.events.append(event)

    platform.bus.subscribe("*", record)
    return seen


async def attempt(step: Awaitable[Any]) -> None:
    """Run a step that may fail because its commit was refused."""
    with contextlib.suppress(CommitRefused):
        await step


async def _count(platform: Platform, model: Any) -> int:
    async with platform.sessions() as session:
        return len((await session.execute(select(model))).all())


async def refused_then_allowed(
    platform: Platform,
    guard: CommitGuard,
    published: Published,
    kind: type[Event],
    step: Callable[[], Awaitable[Any]],
    written: Callable[[], Awaitable[bool]],
) -> None:
    guard.kind = kind
    await attempt(step())
    await platform.bus.drain()
    assert guard.refused >= 1, f"no unit of work carried a {kind.__name__}"
    assert published.of(kind) == [], f"{kind.__name__} was published for a rolled-back unit"
    assert not await written(), "the refused unit's write is there"
    guard.kind = None
    await step()
    await platform.bus.drain()
    assert published.of(kind), f"the same step, committed, did not publish {kind.__name__}"
    assert await written()


# -- the unit of work itself ---------------------------------------------------------


async def test_a_unit_that_raises_publishes_nothing_and_runs_its_rollback_actions(
    platform: Platform, published: Published
) -> None:
    after: list[str] = []

    async def note(what: str) -> None:
        after.append(what)

    async def change_of_mind() -> None:
        async with platform.unit_of_work() as tx:
            tx.publish(SyncRequested(connection_id="c", reason="schedule"))
            tx.after_commit(lambda: note("commit"))
            tx.after_rollback(lambda: note("rollback"))
            raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        await change_of_mind()
    await platform.bus.drain()
    assert published.events == []
    assert after == ["rollback"]


async def test_a_committed_unit_publishes_in_order_then_runs_its_commit_actions(
    platform: Platform, published: Published
) -> None:
    order: list[str] = []

    async def note() -> None:
        # Everything published before this action has reached the subscriber once drained.
        await platform.bus.drain()
        order.append(f"action after {len(published.events)} events")

    events = [SyncRequested(connection_id=f"c{n}", reason="schedule") for n in range(3)]
    async with platform.unit_of_work() as tx:
        for each in events:
            tx.publish(each)
        tx.after_commit(note)
    await platform.bus.drain()
    assert published.events == events
    assert order == ["action after 3 events"]


async def test_a_failing_commit_action_does_not_stop_the_others(
    platform: Platform,
) -> None:
    ran: list[int] = []

    async def fails() -> None:
        raise RuntimeError("bank down")

    async def works() -> None:
        ran.append(1)

    async with platform.unit_of_work() as tx:
        tx.after_commit(fails)
        tx.after_commit(works)
    assert ran == [1]


# -- every event, through the path that produces it ----------------------------------


async def test_person_created(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    before = await _count(platform, PersonRow)

    async def step() -> None:
        await sign_up(platform_app)

    async def written() -> bool:
        return await _count(platform, PersonRow) > before

    await refused_then_allowed(platform, guard, published, PersonCreated, step, written)


async def test_connection_linked(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    person = await sign_up(platform_app)

    async def step() -> None:
        await link(person, "nordbank")

    async def written() -> bool:
        return await _count(platform, Connection) > 0

    await refused_then_allowed(platform, guard, published, ConnectionLinked, step, written)


async def test_connection_ended(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank")

    async def step() -> None:
        response = await person.api.delete(f"/api/v1/connections/{connection_id}")
        if response.status_code == 500:
            raise CommitRefused(response.text)

    async def written() -> bool:
        async with platform.sessions() as session:
            return not banking.is_valid(await session.get(Connection, connection_id))  # type: ignore[arg-type]

    await refused_then_allowed(platform, guard, published, ConnectionEnded, step, written)


async def test_consent_expiring(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank", days=5)

    async def step() -> None:
        async with platform.unit_of_work() as tx:
            await banking.warn_expiring(platform, tx)

    async def written() -> bool:
        async with platform.sessions() as session:
            connection = await session.get(Connection, connection_id, populate_existing=True)
            return connection is not None and connection.expiry_warned_at is not None

    await refused_then_allowed(platform, guard, published, ConsentExpiring, step, written)


def _delivery(body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    signature = hmac_signing.sign(PARTNER_SECRET, raw, int(time.time()))
    return {
        "content": raw,
        "headers": {"Content-Type": "application/json", "X-Bankchat-Signature": signature},
    }


@pytest.mark.parametrize("kind", [SyncRequested, BankNotified])
async def test_events_of_a_bank_webhook(
    kind: type[Event],
    platform: Platform,
    platform_app: FastAPI,
    guard: CommitGuard,
    published: Published,
) -> None:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    delivery = {
        "id": uuid.uuid4().hex,
        "type": "transaction.created",
        "bankId": "nordbank",
        "accountId": "nordbank-c1-chk",
    }

    async def step() -> None:
        response = await person.api.post("/hooks/banks/nordbank", **_delivery(delivery))
        if response.status_code == 500:
            raise CommitRefused(response.text)

    async def written() -> bool:
        # A refused delivery is not remembered: the bank's retry is accepted as new.
        response = await person.api.post("/hooks/banks/nordbank", **_delivery(delivery))
        return bool(response.json()["duplicate"])

    guard.kind = kind
    await attempt(step())
    await platform.bus.drain()
    assert guard.refused >= 1
    assert published.of(kind) == []
    guard.kind = None
    await step()
    await platform.bus.drain()
    assert published.of(kind)
    assert await written()


async def test_sync_completed(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    person = await sign_up(platform_app)
    connection_id = await link(person, "nordbank")
    await platform.bus.drain()
    published.events.clear()

    async def step() -> None:
        response = await person.api.post(f"/api/v1/connections/{connection_id}/sync")
        if response.status_code == 500:
            raise CommitRefused(response.text)

    async def syncs_logged() -> int:
        async with platform.sessions() as session:
            log = await platform.vault.access_log(session, person_id=person.id, limit=None)
        return sum(entry.action == "sync" for entry in log)

    # The link's first sync is in the log; a refused sync must add nothing to it.
    first = await syncs_logged()

    async def written() -> bool:
        return await syncs_logged() > first

    await refused_then_allowed(platform, guard, published, SyncCompleted, step, written)


async def test_message_stored(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    person = await sign_up(platform_app)
    client_id = f"notice-{uuid.uuid4().hex}"

    async def step() -> None:
        async with platform.unit_of_work() as tx:
            await messaging.post_notice(
                tx,
                person.id,
                "BANK_LINKED",
                {"bank": "x"},
                now=platform.clock(),
                client_id=client_id,
            )

    async def written() -> bool:
        async with platform.sessions() as session:
            summaries = await messaging.list_conversations(session, person.id)
        return any(s.last_message is not None for s in summaries)

    await refused_then_allowed(platform, guard, published, MessageStored, step, written)


async def test_read_receipt(
    platform: Platform, platform_app: FastAPI, guard: CommitGuard, published: Published
) -> None:
    anna, ben = await sign_up(platform_app), await sign_up(platform_app)
    opened = await anna.api.post("/api/v1/conversations", json={"personId": ben.id})
    conversation_id = opened.json()["id"]
    sent = await anna.api.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"clientId": "hello-1", "kind": "text", "body": {"text": "Hallo Ben"}},
    )
    assert sent.status_code == 201, sent.text

    async def step() -> None:
        response = await ben.api.post(
            f"/api/v1/conversations/{conversation_id}/read", json={"seq": 1}
        )
        if response.status_code == 500:
            raise CommitRefused(response.text)

    async def written() -> bool:
        async with platform.sessions() as session:
            summaries = await messaging.list_conversations(session, ben.id)
        return any(s.last_read_seq == 1 for s in summaries)

    await refused_then_allowed(platform, guard, published, ReadReceipt, step, written)


def test_every_event_type_is_covered_here() -> None:
    covered = {
        PersonCreated,
        ConnectionLinked,
        ConnectionEnded,
        ConsentExpiring,
        SyncRequested,
        BankNotified,
        SyncCompleted,
        MessageStored,
        ReadReceipt,
        # Typing is never stored: it is published straight from the socket's reader.
        Typing,
    }
    from bankchat.events import EVENT_TYPES

    assert set(EVENT_TYPES.values()) == covered


async def test_a_unit_of_work_on_its_own_bus_publishes_after_commit_only(
    platform: Platform,
) -> None:
    bus = InProcessBus()
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    bus.subscribe("*", record)
    async with unit_of_work(platform.sessions, bus) as tx:
        tx.publish(PersonCreated(person_id="p"))
        await bus.drain()
        assert seen == []
    await bus.drain()
    assert seen == [PersonCreated(person_id="p")]
    await bus.close()
