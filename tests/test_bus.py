"""The in-process bus: typed events in order per subscription, isolation between
subscriptions, and subjects matched by pattern."""

from __future__ import annotations

import asyncio
import json

from bankchat.bus import InProcessBus
from bankchat.events import Event, SyncRequested, Typing


def numbered(n: int) -> SyncRequested:
    return SyncRequested(connection_id=f"c{n}", reason="schedule")


async def test_each_subscription_gets_its_events_in_publish_order() -> None:
    bus = InProcessBus()
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    bus.subscribe("banking.*", record)
    events = [numbered(n) for n in range(50)]
    for event in events:
        await bus.publish(event)
    await bus.publish(Typing(recipient_id="p", conversation_id="c", typist_id="q"))
    await bus.drain()
    assert seen == events
    await bus.close()


async def test_a_chat_event_is_published_on_its_recipients_subject() -> None:
    bus = InProcessBus()
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    bus.subscribe("chat.person.anna", record)
    for recipient in ("anna", "ben"):
        await bus.publish(Typing(recipient_id=recipient, conversation_id="c", typist_id="x"))
    await bus.drain()
    assert [e.subject for e in seen] == ["chat.person.anna"]
    await bus.close()


async def test_a_slow_handler_does_not_hold_up_another_subscription() -> None:
    bus = InProcessBus()
    release = asyncio.Event()
    fast: list[str] = []

    async def slow(_event: Event) -> None:
        await release.wait()

    both_seen = asyncio.Event()

    async def quick(event: Event) -> None:
        fast.append(event.subject)
        if len(fast) == 2:
            both_seen.set()

    bus.subscribe("banking.*", slow)
    bus.subscribe("*", quick)
    await bus.publish(numbered(0))
    await bus.publish(Typing(recipient_id="x", conversation_id="c", typist_id="y"))
    # Both reach the quick subscriber while the slow one is still stuck on the first.
    await asyncio.wait_for(both_seen.wait(), timeout=2)
    release.set()
    await bus.drain()
    await bus.close()


async def test_a_failing_handler_does_not_stop_its_later_events() -> None:
    bus = InProcessBus()
    handled: list[str] = []

    async def flaky(event: Event) -> None:
        assert isinstance(event, SyncRequested)
        if event.connection_id == "c0":
            raise RuntimeError("boom")
        handled.append(event.connection_id)

    bus.subscribe(SyncRequested.kind, flaky)
    for n in range(3):
        await bus.publish(numbered(n))
    await bus.drain()
    assert handled == ["c1", "c2"]
    await bus.close()


def test_every_event_survives_its_json_form() -> None:
    from datetime import date

    from bankchat import events

    samples: list[Event] = [
        events.PersonCreated(person_id="p"),
        events.ConnectionLinked(person_id="p", connection_id="c", bank_id="b"),
        events.ConnectionEnded(person_id="p", connection_id="c", bank_id="b", status="expired"),
        events.ConsentExpiring(
            person_id="p", connection_id="c", bank_id="b", valid_until=date(2027, 1, 5), days_left=7
        ),
        events.SyncRequested(connection_id="c", reason="webhook"),
        events.SyncCompleted(
            person_id="p", connection_id="c", accounts=("a1", "a2"), added=3, modified=1, removed=0
        ),
        events.BankNotified(bank_id="b", event_id="e", event_type="card.suspicious", card_id="k"),
        events.MessageStored(
            recipient_id="p",
            message={
                "id": "m",
                "conversationId": "c",
                "seq": 1,
                "senderId": "q",
                "clientId": "x",
                "kind": "text",
                "body": {"text": "Hallo"},
                "createdAt": "2026-12-08T10:00:00.000Z",
            },
            origin="socket-1",
        ),
        events.ReadReceipt(recipient_id="p", conversation_id="c", reader_id="q", seq=4),
        Typing(recipient_id="p", conversation_id="c", typist_id="q"),
    ]
    assert {type(e) for e in samples} == set(events.EVENT_TYPES.values())
    for event in samples:
        assert events.from_json(json.loads(json.dumps(events.to_json(event)))) == event
