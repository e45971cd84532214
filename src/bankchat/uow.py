"""The unit of work: one transaction per route call, assistant turn, worker step or CLI
command, opened by that caller and handed to every service and vault call that writes.

Services never commit and never open a transaction of their own; they write through
``Tx.session`` and register what must follow the commit: events (``Tx.publish``), which
reach the bus only once the commit succeeded, and other actions (``Tx.after_commit``),
such as asking a bank to delete a consent, which must not run while our locks are held.
A rolled-back unit publishes nothing; ``Tx.after_rollback`` lets the vault keep the
audit entry of a read even when the caller's transaction fails after it.

A function that takes a ``Tx`` may write; one that takes an ``AsyncSession`` only reads.
(Zulip's ``send_event_on_commit`` is the same idea.)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.bus import Bus
from bankchat.events import Event

logger = logging.getLogger(__name__)

Action = Callable[[], Awaitable[object]]
# The key under which a session's ``info`` holds its unit of work.
UNIT_OF_WORK = "bankchat.unit_of_work"


class Tx:
    """One open transaction and what is to happen once it ends."""

    __slots__ = ("_after_commit", "_after_rollback", "_events", "session")

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._events: list[Event] = []
        self._after_commit: list[Action] = []
        self._after_rollback: list[Action] = []

    def publish(self, event: Event) -> None:
        """Publish ``event`` once the transaction has committed (never if it rolls back)."""
        self._events.append(event)

    def after_commit(self, action: Action) -> None:
        """Run ``action`` after the commit and after the events are published."""
        self._after_commit.append(action)

    def after_rollback(self, action: Action) -> None:
        """Run ``action`` if the transaction rolls back (its locks are released by then)."""
        self._after_rollback.append(action)

    @property
    def events(self) -> tuple[Event, ...]:
        """The events registered so far (tests, and a later outbox)."""
        return tuple(self._events)


async def _run_all(actions: list[Action], when: str) -> None:
    # One failing follow-up (a bank that is down, say) must not keep the others from
    # running, nor turn a committed unit of work into an error for its caller.
    for action in actions:
        try:
            await action()
        except Exception:
            logger.exception("an action %s failed", when)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession], bus: Bus) -> AsyncIterator[Tx]:
    """A ``Tx`` that commits when the block ends and rolls back when it raises; events are
    published, in the order registered, after the commit."""
    async with sessions() as session:
        tx = Tx(session)
        # Lets a session-level hook (a commit listener in the tests, say) see the unit.
        session.info[UNIT_OF_WORK] = tx
        try:
            async with session.begin():
                yield tx
        except BaseException:
            await _run_all(tx._after_rollback, "after a rollback")
            raise
    for event in tx._events:
        await bus.publish(event)
    await _run_all(tx._after_commit, "after a commit")
