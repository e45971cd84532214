"""The in-process bus: order per subscription, isolation between subscriptions."""

from __future__ import annotations

import asyncio
from typing import Any

from bankchat.bus import InProcessBus


async def test_each_subscription_gets_its_events_in_publish_order() -> None:
    bus = InProcessBus()
    seen: list[int] = []

    async def record(_subject: str, payload: dict[str, Any]) -> None:
        seen.append(payload["n"])

    bus.subscribe("chat.*", record)
    for n in range(50):
        await bus.publish("chat.person", {"n": n})
    await bus.publish("other.subject", {"n": -1})
    await bus.drain()
    assert seen == list(range(50))
    await bus.close()


async def test_a_slow_handler_does_not_hold_up_another_subscription() -> None:
    bus = InProcessBus()
    release = asyncio.Event()
    fast: list[str] = []

    async def slow(_subject: str, _payload: dict[str, Any]) -> None:
        await release.wait()

    both_seen = asyncio.Event()

    async def quick(subject: str, _payload: dict[str, Any]) -> None:
        fast.append(subject)
        if len(fast) == 2:
            both_seen.set()

    bus.subscribe("banking.*", slow)
    bus.subscribe("*", quick)
    await bus.publish("banking.sync.requested", {})
    await bus.publish("chat.person.x", {})
    # Both reach the quick subscriber while the slow one is still stuck on the first.
    await asyncio.wait_for(both_seen.wait(), timeout=2)
    release.set()
    await bus.drain()
    await bus.close()


async def test_a_failing_handler_does_not_stop_its_later_events() -> None:
    bus = InProcessBus()
    handled: list[int] = []

    async def flaky(_subject: str, payload: dict[str, Any]) -> None:
        if payload["n"] == 0:
            raise RuntimeError("boom")
        handled.append(payload["n"])

    bus.subscribe("x", flaky)
    for n in range(3):
        await bus.publish("x", {"n": n})
    await bus.drain()
    assert handled == [1, 2]
    await bus.close()
