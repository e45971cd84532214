"""Background work of a serving process: syncs requested on the bus, and a periodic
round that ends expired consents, asks the banks whether consents still stand, warns
about consents near their end, forgets abandoned link attempts, retries consent
deletions the bank missed and requests the syncs that are due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bankchat.banking import service, sync, webhooks
from bankchat.db import transaction
from bankchat.platform import Platform

logger = logging.getLogger(__name__)

SCHEDULED = "schedule"


def subscribe_sync(platform: Platform) -> Callable[[], None]:
    """Run a sync (without the person) for every ``banking.sync.requested`` event; a
    scheduled one is skipped if another process synced the connection meanwhile."""

    async def handle(_subject: str, payload: dict[str, Any]) -> None:
        connection_id = payload.get("connectionId")
        if not isinstance(connection_id, str):
            return
        fresh = (
            timedelta(hours=platform.settings.sync_every_hours)
            if payload.get("reason") == SCHEDULED
            else None
        )
        await sync.sync_connection(platform, connection_id, unless_synced_within=fresh)

    return platform.bus.subscribe(sync.SYNC_REQUESTED, handle)


async def _duty(name: str, step: Callable[[], Awaitable[object]]) -> None:
    """Run one duty; a failure is logged and does not keep the others from running."""
    try:
        await step()
    except Exception:
        logger.exception("the banking duty %r failed; it runs again next round", name)


async def _in_transaction(
    platform: Platform, step: Callable[[Platform, Any], Awaitable[object]]
) -> None:
    async with transaction(platform.sessions) as session:
        await step(platform, session)


async def run_round(platform: Platform, *, sync_every: timedelta) -> None:
    """One pass of the periodic duties, each on its own."""
    await _duty("expire", lambda: _in_transaction(platform, service.expire_due))
    await _duty("consent status", lambda: sync.refresh_consent_statuses(platform))
    await _duty("expiry warnings", lambda: _in_transaction(platform, service.warn_expiring))
    await _duty("abandoned links", lambda: service.purge_abandoned_links(platform))
    await _duty("bank deletions", lambda: service.retry_bank_deletions(platform))
    await _duty("webhook events", lambda: webhooks.forget_old_events(platform))
    await _duty("due syncs", lambda: _request_due_syncs(platform, sync_every))


async def _request_due_syncs(platform: Platform, sync_every: timedelta) -> None:
    async with platform.sessions() as session:
        due = await sync.due_connections(session, now=platform.clock(), older_than=sync_every)
    for connection_id in due:
        await platform.bus.publish(
            sync.SYNC_REQUESTED, {"connectionId": connection_id, "reason": SCHEDULED}
        )


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
