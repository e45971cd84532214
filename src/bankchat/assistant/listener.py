"""The assistant at work in a serving process: it listens on its bus subject (every
message in an assistant conversation is published to ``chat.person.assistant``) and answers.

Each busy conversation gets a task of its own that answers its messages in order; other
conversations never wait for it. The NLU is loaded once per process in a worker thread
(the first load may build the model), so the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from bankchat.assistant import dialogue, service
from bankchat.assistant.service import Incoming, Understands
from bankchat.events import Event, person_subject
from bankchat.messaging.schemas import ASSISTANT_ID
from bankchat.platform import Platform

logger = logging.getLogger(__name__)

NluLoader = Callable[[], Understands]


def default_loader(cache_dir: Path) -> NluLoader:
    """Load (or build once and cache under ``cache_dir``) the trained NLU."""

    def load() -> Understands:
        # Imported here: the model's libraries are heavy, and only a process that answers
        # messages needs them.
        from bankchat.assistant.nlu.pipeline import load_nlu

        return load_nlu(cache_dir)

    return load


class Assistant:
    """Answers the messages published to the assistant, a task per busy conversation."""

    def __init__(
        self,
        platform: Platform,
        loader: NluLoader,
        *,
        respond: service.Responder | None = None,
    ) -> None:
        self.platform = platform
        self._loader = loader
        self._respond = respond or dialogue.respond
        self._nlu: asyncio.Task[Understands] | None = None
        self._queues: dict[str, deque[Incoming]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def warm_up(self) -> None:
        """Start loading the NLU now rather than at the first message."""
        self._nlu_task()

    def _nlu_task(self) -> asyncio.Task[Understands]:
        if self._nlu is None or (self._nlu.done() and self._nlu.exception() is not None):
            self._nlu = asyncio.create_task(
                asyncio.to_thread(self._loader), name="bankchat-assistant-nlu"
            )
        return self._nlu

    async def nlu(self) -> Understands:
        return await asyncio.shield(self._nlu_task())

    async def on_frame(self, event: Event) -> None:
        """A bus event: queue the message for its conversation's worker."""
        message = service.incoming_of(event)
        if message is None:
            return
        key = message.conversation_id
        self._queues.setdefault(key, deque()).append(message)
        if key not in self._workers:
            self._idle.clear()
            self._workers[key] = asyncio.create_task(
                self._work(key), name="bankchat-assistant-conversation"
            )

    async def _work(self, key: str) -> None:
        try:
            queue = self._queues[key]
            while queue:
                message = queue.popleft()
                try:
                    await self._answer(message)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    service.log_failure(error)
        finally:
            # No await since the queue was found empty: nothing can have been added.
            self._queues.pop(key, None)
            self._workers.pop(key, None)
            if not self._workers:
                self._idle.set()

    async def _answer(self, message: Incoming) -> None:
        await service.answer(self.platform, self.nlu, message, respond=self._respond)

    async def idle(self) -> None:
        """Wait until every message received so far is answered (tests, shutdown)."""
        await self._idle.wait()

    async def idle_of(self, conversation_id: str) -> None:
        """Wait until the conversation's messages received so far are answered."""
        worker = self._workers.get(conversation_id)
        if worker is not None:
            await asyncio.shield(worker)

    async def close(self) -> None:
        for worker in list(self._workers.values()):
            worker.cancel()
        for worker in list(self._workers.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self._nlu is not None and not self._nlu.done():
            # The thread finishes on its own; nobody waits for it any more.
            self._nlu.cancel()


def subscribe_assistant(
    platform: Platform, loader: NluLoader | None = None, *, warm_up: bool = True
) -> tuple[Assistant, Callable[[], Awaitable[None]]]:
    """Start answering; returns the assistant and the function that stops it.

    ``warm_up`` loads the NLU right away; without it the first message loads it (an app
    that may never be asked anything, as in most tests, then never pays for it).
    """
    assistant = Assistant(platform, loader or default_loader(platform.settings.data_dir))
    if warm_up:
        assistant.warm_up()
    unsubscribe = platform.bus.subscribe(person_subject(ASSISTANT_ID), assistant.on_frame)

    async def stop() -> None:
        unsubscribe()
        await assistant.close()

    return assistant, stop
