"""The event bus: how domains tell each other that something happened.

Embedded mode uses ``InProcessBus`` (handlers in this process); scale-out mode plugs a NATS
JetStream bus behind the same interface. The bus carries the typed events of
``bankchat.events`` (ids and codes only, never bank data); a domain hands them to a unit
of work (``uow.Tx.publish``), which publishes them after its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bankchat.events import Event

logger = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]


class Bus(Protocol):
    """Publish events on their dotted subjects; subscribe with shell-style patterns."""

    async def publish(self, event: Event) -> None: ...

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]: ...

    async def drain(self) -> None:
        """Wait until every event published so far has been handled (tests, shutdown)."""

    async def close(self) -> None: ...


class _Subscription:
    """One handler with its own queue and task: a slow consumer (a bank sync, say) holds
    up only its own events, never the chat's."""

    def __init__(self, pattern: str, handler: Handler) -> None:
        self.pattern = pattern
        self.handler = handler
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.pending = 0

    def offer(self, event: Event, subject: str) -> None:
        if not fnmatch.fnmatchcase(subject, self.pattern):
            return
        self.pending += 1
        self.queue.put_nowait(event)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._deliver(), name=f"bankchat-bus {self.pattern}")

    async def _deliver(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("bus handler for %s failed on %s", self.pattern, event.subject)
            finally:
                self.pending -= 1
                self.queue.task_done()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None


class InProcessBus:
    """Delivers events to the matching handlers of this process.

    ``publish`` only enqueues: a webhook answered by the bank's timeout, or a chat message,
    must not wait for a slow consumer. Each subscription gets the events in publish order
    from a task of its own, so a slow or failing handler (logged) delays or silences no
    other: chat delivery never waits behind a bank sync.
    """

    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []

    async def publish(self, event: Event) -> None:
        subject = event.subject
        for subscription in list(self._subscriptions):
            subscription.offer(event, subject)

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        subscription = _Subscription(pattern, handler)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
            if subscription.task is not None:
                subscription.task.cancel()

        return unsubscribe

    async def drain(self) -> None:
        """Wait until every event published so far has been handled (and what handling
        them published in turn)."""
        while any(s.pending for s in self._subscriptions):
            for subscription in list(self._subscriptions):
                await subscription.queue.join()

    async def close(self) -> None:
        """Stop delivering; events still queued are dropped."""
        for subscription in list(self._subscriptions):
            await subscription.stop()
