"""Background work of a serving process: syncs requested on the bus, and a periodic
round that syncs what is due, warns about consents near their end, ends expired ones,
forgets abandoned link attempts and retries consent deletions the bank missed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bankchat.banking import service, sync, webhooks
from bankchat.db import transaction
from bankchat.platform import Platform

logger = logging.getLogger(__name__)


def subscribe_sync(platform: Platform) -> Callable[[], None]:
    """Run a sync (without the person) for every ``banking.sync.requested`` event."""

    async def handle(_subject: str, payload: dict[str, Any]) -> None:
        connection_id = payload.get("connectionId")
        if isinstance(connection_id, str):
            await sync.sync_connection(platform, connection_id)

    return platform.bus.subscribe(sync.SYNC_REQUESTED, handle)


async def run_round(platform: Platform, *, sync_every: timedelta) -> None:
    """One pass of the periodic duties; each commits on its own so one failure is local."""
    async with transaction(platform.sessions) as session:
        await service.expire_due(platform, session)
    async with transaction(platform.sessions) as session:
        await service.warn_expiring(platform, session)
    async with transaction(platform.sessions) as session:
        await service.purge_abandoned_links(platform, session)
    async with transaction(platform.sessions) as session:
        await service.retry_bank_deletions(platform, session)
    await webhooks.forget_old_events(platform)
    async with platform.sessions() as session:
        due = await sync.due_connections(session, now=platform.clock(), older_than=sync_every)
    for connection_id in due:
        await platform.bus.publish(sync.SYNC_REQUESTED, {"connectionId": connection_id})


class WebhookRegistration:
    """Registers our webhook at every bank with a partner extension, retrying each round
    until all have it (a bank may start after us)."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._wanted = {
            b.id for b in platform.banks.all() if b.partner_base_url and b.partner_secret
        }
        self._done: set[str] = set()

    async def ensure(self) -> None:
        if self._done != self._wanted:
            self._done |= set(await webhooks.register_webhooks(self._platform))
