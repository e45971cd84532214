"""Group commit for chat sends: one writer task per process and database writes every
send that arrived while the previous transaction was running, in one transaction.

A lone send is written at once (no waiting for company); under load the batches grow by
themselves, so the cost of a transaction (its statements, the commit) is shared by every
send in it. Each send still gets its own outcome. When a whole batch fails (a client id
raced in from another process, a lock timeout), its sends are written again one by one,
so one bad send fails alone.

On a SQLite file the batch runs whole on a database thread of the writer's own, in one
hop: through aiosqlite every statement would cost several hops between the event loop
and the driver's thread, which made up most of a small batch's cost. On PostgreSQL the
statements go through the platform's async engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from bankchat.db import configure_sqlite, transaction
from bankchat.messaging.sending import (
    Draft,
    Outcome,
    SendRaced,
    Sent,
    store_drafts,
    store_drafts_sync,
)

logger = logging.getLogger(__name__)

# Bounds the statements of one transaction (the read names three values per send).
MAX_BATCH: Final = 256


class SqliteThread:
    """A synchronous connection to a SQLite file, used only from one thread of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        url = engine.url.set(drivername="sqlite+pysqlite")
        self.engine: Engine = create_engine(
            url, poolclass=SingletonThreadPool, hide_parameters=True
        )
        # The same foreign keys, WAL and busy wait as every other connection.
        event.listen(self.engine, "connect", configure_sqlite)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bankchat-chat-db")
        weakref.finalize(self, _close_thread, self.executor, self.engine)

    async def write(self, drafts: Sequence[Draft]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._write, drafts)

    def _write(self, drafts: Sequence[Draft]) -> list[Outcome]:
        with self.engine.begin() as connection:
            return store_drafts_sync(connection, drafts)


def _close_thread(executor: ThreadPoolExecutor, engine: Engine) -> None:
    # The connection belongs to the executor's thread: it is closed there, unless the
    # interpreter is exiting and takes it down anyway.
    with contextlib.suppress(RuntimeError):
        executor.submit(engine.dispose)
    executor.shutdown(wait=False)


def _sqlite_file(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


class GroupCommitWriter:
    """Writes the drafts handed to ``send`` in batches, in the order they were handed in."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, max_batch: int = MAX_BATCH
    ) -> None:
        self.sessions = sessions
        self.max_batch = max_batch
        self.loop = asyncio.get_running_loop()
        self.batches = 0
        self.drafts_written = 0
        self._waiting: deque[tuple[Draft, asyncio.Future[Sent]]] = deque()
        self._task: asyncio.Task[None] | None = None
        bind = sessions.kw.get("bind")
        self._engine = bind if isinstance(bind, AsyncEngine) else None
        self._sqlite = (
            SqliteThread(self._engine)
            if self._engine is not None and _sqlite_file(self._engine)
            else None
        )

    async def send(self, draft: Draft) -> Sent:
        """Store ``draft`` with the next batch; its stored message or its refusal."""
        future: asyncio.Future[Sent] = self.loop.create_future()
        self._waiting.append((draft, future))
        # The task ends whenever nothing waits, so an idle process holds no task.
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run(), name="bankchat-chat-writer")
        return await future

    async def _run(self) -> None:
        while self._waiting:
            taken = [
                self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))
            ]
            # A caller that gave up before its batch began is not written at all.
            batch = [(draft, future) for draft, future in taken if not future.done()]
            if not batch:
                continue
            try:
                outcomes = await self._write([draft for draft, _ in batch])
            except BaseException:
                for _, future in (*batch, *self._waiting):
                    future.cancel()
                self._waiting.clear()
                raise
            self.batches += 1
            self.drafts_written += len(batch)
            # Resolved in order: the callers resume, acknowledge and publish in the
            # order the messages were numbered.
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _write(self, drafts: Sequence[Draft]) -> list[Outcome]:
        if len(drafts) > 1:
            try:
                return await self._transaction(drafts)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning(
                    "chat batch of %d failed (%s); writing its sends one by one",
                    len(drafts),
                    type(error).__name__,
                )
        return [await self._alone(draft) for draft in drafts]

    async def _alone(self, draft: Draft) -> Outcome:
        for attempt in range(2):
            try:
                [outcome] = await self._transaction([draft])
                return outcome
            except asyncio.CancelledError:
                raise
            except IntegrityError:
                # The same client id was being stored by another transaction; once that
                # has committed, trying again finds it and answers the duplicate.
                if attempt:
                    return SendRaced("This message is being sent already.")
            except Exception as error:
                return error
        raise AssertionError("unreachable")

    async def _transaction(self, drafts: Sequence[Draft]) -> list[Outcome]:
        if self._sqlite is not None:
            return await self._sqlite.write(drafts)
        # Straight on the engine when the sessions name one: no ORM session per batch.
        if self._engine is not None:
            async with self._engine.begin() as connection:
                return await store_drafts(connection, drafts)
        async with transaction(self.sessions) as session:
            return await store_drafts(await session.connection(), drafts)


_writers: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], GroupCommitWriter] = (
    weakref.WeakKeyDictionary()
)


def writer_for(sessions: async_sessionmaker[AsyncSession]) -> GroupCommitWriter:
    """The writer of ``sessions``' database in this process (and event loop)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(sessions)
    if writer is None or writer.loop is not loop:
        writer = _writers[sessions] = GroupCommitWriter(sessions)
    return writer
