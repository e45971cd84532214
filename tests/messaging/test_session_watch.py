"""The gateway's session watch: one query checks the sessions of all open sockets, and
only the sockets whose session ended are closed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.messaging.conftest import Served, close_code_after_draining, quiet_frames, socket_of
from tests.platform_support import sign_up


@pytest.fixture
def gateway_options() -> dict[str, Any]:
    # Long enough that the watch never runs on its own: each test runs a check itself.
    return {"heartbeat_seconds": 30.0}


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement sent to ``engine`` while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_one_query_checks_the_sessions_of_many_sockets(served: Served) -> None:
    people = [await sign_up(served.app) for _ in range(5)]
    for person in people:
        await socket_of(served, person)
    with statements_on(served.gateway.platform.engine) as statements:
        await served.gateway.check_sessions()
    assert len(statements) == 1
    assert [served.gateway.connections_of(person.id) for person in people] == [1] * 5


async def test_a_socket_of_an_ended_session_is_closed_4401_while_others_stay(
    served: Served,
) -> None:
    anna = await sign_up(served.app)
    ben = await sign_up(served.app)
    annas = await socket_of(served, anna)
    bens = await socket_of(served, ben)
    await anna.post("/api/v1/auth/logout")
    await served.gateway.check_sessions()
    assert await close_code_after_draining(annas.ws) == 4401
    assert await quiet_frames(bens.ws) == []
    assert served.gateway.connections_of(ben.id) == 1


async def test_a_check_with_no_open_socket_asks_nothing(served: Served) -> None:
    with statements_on(served.gateway.platform.engine) as statements:
        await served.gateway.check_sessions()
    assert statements == []
