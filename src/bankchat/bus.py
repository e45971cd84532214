"""The event bus: how domains tell each other that something happened.

Embedded mode uses ``InProcessBus`` (handlers in this process); scale-out mode plugs a NATS
JetStream bus behind the same interface. Events carry ids and codes only, never bank data:
a consumer that needs details reads them through the vault, for its own purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

logger = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], Awaitable[None]]


class Bus(Protocol):
    """Publish events on dotted subjects; subscribe with shell-style patterns."""

    async def publish(self, subject: str, payload: dict[str, Any]) -> None: ...

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]: ...

    async def drain(self) -> None:
        """Wait until every event published so far has been handled (tests, shutdown)."""

    async def close(self) -> None: ...


class InProcessBus:
    """Delivers events to the matching handlers of this process, in publish order.

    ``publish`` only enqueues: a webhook answered by the bank's timeout, or a chat message,
    must not wait for a slow consumer. One task delivers in order; a failing handler is
    logged and does not stop delivery to the others, so one broken consumer cannot
    silence, say, the fraud warnings.
    """

    def __init__(self) -> None:
        self._handlers: list[tuple[str, Handler]] = []
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def publish(self, subject: str, payload: dict[str, Any]) -> None:
        self._queue.put_nowait((subject, payload))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver(), name="bankchat-bus")

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        entry = (pattern, handler)
        self._handlers.append(entry)

        def unsubscribe() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)

        return unsubscribe

    async def drain(self) -> None:
        """Wait until every event published so far has been handled."""
        await self._queue.join()

    async def close(self) -> None:
        """Stop delivering; events still queued are dropped."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _deliver(self) -> None:
        while True:
            subject, payload = await self._queue.get()
            try:
                for pattern, handler in list(self._handlers):
                    if fnmatch.fnmatchcase(subject, pattern):
                        try:
                            await handler(subject, payload)
                        except asyncio.CancelledError:
                            raise
                        except Exception:
                            logger.exception("bus handler for %s failed on %s", pattern, subject)
            finally:
                self._queue.task_done()
