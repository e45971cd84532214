"""Counting the SQL statements a piece of work sends, as Zulip's ``queries_captured`` does:
hot paths get a fixed number, so a change that adds a query fails loudly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement any engine of this process sends while the block runs (the chat
    writer's own SQLite connection included), as its first words."""
    seen: list[str] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        seen.append(" ".join(statement.split()[:3]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
