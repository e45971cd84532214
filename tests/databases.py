"""Migrated databases for tests, without migrating for each test.

Each pytest-xdist worker migrates once; each test then gets a database of its own made
from that:

- SQLite: a copy of the worker's migrated file (checkpointed, so the main file is
  complete).
- PostgreSQL: a schema of its own, into which the statements that the worker's one real
  migration executed are replayed, in order, in one transaction: the migration itself
  without Alembic's work in Python. Schemas are made ahead and dropped behind the tests
  on a thread of their own (:class:`PostgresSchemas`). This beats ``CREATE DATABASE ...
  TEMPLATE`` here: copying a database costs the server more than this DDL does, and
  ``DROP DATABASE`` waits on every other backend of the (shared) server, up to seconds.

Tests of the migrations themselves use :func:`sqlite_database` and :func:`postgres_schema`,
which give empty databases, and migrate for real.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bankchat import db
from tests.services import POSTGRES_URL

T = TypeVar("T")

# The xdist worker ("gw0", "gw1", ...), or "main" without xdist: part of every name this
# module gives a database object, with a random part, so parallel workers and parallel
# runs on the same server never collide.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a thread of its own: session fixtures are set up
    from inside a test's running event loop, where ``asyncio.run`` is not allowed."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def unique_name(kind: str) -> str:
    return f"{kind}_{WORKER}_{uuid.uuid4().hex[:16]}"


# -- SQLite ---------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def migrate_sqlite_file(path: Path) -> None:
    """Migrate a new SQLite file at ``path`` to head and fold its write-ahead log into the
    main file, so that copying the main file alone copies the whole database."""
    engine = db.create_engine(sqlite_url(path))
    try:
        await db.upgrade(engine)
        async with engine.connect() as connection:
            checkpoint = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = checkpoint.one()[0]
        if busy:
            raise RuntimeError(f"could not checkpoint the migrated template {path}")
    finally:
        await engine.dispose()


@asynccontextmanager
async def sqlite_database(path: Path, template: Path | None = None) -> AsyncIterator[AsyncEngine]:
    """An engine on the SQLite file ``path``: a copy of ``template`` (a migrated file), or
    a new empty database without one."""
    if template is not None:
        shutil.copy(template, path)
    engine = db.create_engine(sqlite_url(path))
    try:
        yield engine
    finally:
        await engine.dispose()


# -- PostgreSQL -----------------------------------------------------------------------


@dataclass(frozen=True)
class Executed:
    """One statement as the driver was given it, with its parameters."""

    statement: str
    parameters: Any
    many: bool


def schema_engine(schema: str) -> AsyncEngine:
    """An engine whose connections work in ``schema`` (their ``search_path``)."""
    return db.create_engine(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})


async def record_postgres_migration() -> tuple[Executed, ...]:
    """Migrate a new schema to head for real and return every statement the migration
    executed; the schema is dropped again."""
    executed: list[Executed] = []

    def record(*args: Any) -> None:
        _connection, _cursor, statement, parameters, _context, many = args
        executed.append(Executed(statement, parameters, many))

    schema = unique_name("m")
    async with postgres_schema(schema) as engine:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            await db.upgrade(engine)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
    # Unqualified names land in whatever schema the search path names; a statement that
    # named the schema itself could not be replayed elsewhere.
    named = [each.statement for each in executed if schema in each.statement]
    if named:
        raise RuntimeError(f"the migration names its schema, cannot replay: {named[0]!r}")
    return tuple(executed)


@asynccontextmanager
async def postgres_schema(schema: str | None = None) -> AsyncIterator[AsyncEngine]:
    """An engine on a new, empty schema (named ``schema``, or a new name), dropped
    afterwards."""
    schema = schema or unique_name("t")
    engine = schema_engine(schema)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield engine
    finally:
        # Disposing closes the connections the test returned; the drop runs on a new one.
        await engine.dispose()
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()


class PostgresSchemas:
    """Migrated schemas for this worker's tests, made and dropped on a thread and a
    connection of their own, so that tests do not wait for the DDL: while one test runs,
    the schema for the next is made, and the schemas of finished tests are dropped.

    A schema is made by replaying ``migration`` (see :func:`record_postgres_migration`)
    in one transaction. This talks to the server with asyncpg itself, not through
    SQLAlchemy, so statements that a test counts through SQLAlchemy's events never
    include these. The connection commits without waiting for the write-ahead log to
    reach the disk (``synchronous_commit=off``): test schemas need not survive a crash.
    A drop that fails is raised when the next schema is handed out, or at :meth:`close`.
    """

    def __init__(self, migration: Sequence[Executed]) -> None:
        self._migration = tuple(migration)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="test-schemas", daemon=True
        )
        self._thread.start()
        self._lock = asyncio.Lock()
        dsn = make_url(POSTGRES_URL).set(drivername="postgresql")
        self._connection: asyncpg.Connection = self._start(
            asyncpg.connect(
                dsn.render_as_string(hide_password=False),
                # A drop waits for the locks of connections a test left open: fail
                # (when the next test's schema is handed out) rather than hang.
                server_settings={"synchronous_commit": "off", "lock_timeout": "60s"},
            )
        ).result()
        self._next = self._start(self._make())
        self._drops: list[Future[None]] = []

    def _start(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    @asynccontextmanager
    async def migrated(self) -> AsyncIterator[AsyncEngine]:
        """An engine on a migrated schema of its own, which is dropped afterwards."""
        ready, self._next = self._next, self._start(self._make())
        schema = await asyncio.wrap_future(ready)
        engine = schema_engine(schema)
        try:
            yield engine
        finally:
            # Disposing closes the connections the test returned: none holds a lock.
            await engine.dispose()
            self._drop_soon(schema)

    def _drop_soon(self, schema: str) -> None:
        """Drop ``schema`` in the background; raises if an earlier drop failed."""
        finished = [each for each in self._drops if each.done()]
        self._drops = [each for each in self._drops if not each.done()]
        for each in finished:
            each.result()
        self._drops.append(self._start(self._drop(schema)))

    def close(self) -> None:
        """Drop the schema made for a next test, wait for every drop, then stop."""
        try:
            unused = self._next.result()
            self._drops.append(self._start(self._drop(unused)))
            for each in self._drops:
                each.result()
        finally:
            self._start(self._connection.close()).result()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    async def _make(self) -> str:
        schema = unique_name("t")
        connection = self._connection
        async with self._lock, connection.transaction():
            await connection.execute(
                f'CREATE SCHEMA "{schema}"; SET LOCAL search_path TO "{schema}"'
            )
            # Runs of statements without parameters go as one script: one round trip.
            script: list[str] = []
            for each in self._migration:
                if not each.parameters:
                    script.append(each.statement)
                    continue
                if script:
                    await connection.execute(";\n".join(script))
                    script.clear()
                if each.many:
                    await connection.executemany(each.statement, each.parameters)
                else:
                    await connection.execute(each.statement, *each.parameters)
            if script:
                await connection.execute(";\n".join(script))
        return schema

    async def _drop(self, schema: str) -> None:
        async with self._lock:
            await self._connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
