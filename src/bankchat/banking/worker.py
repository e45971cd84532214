"""Background work of a serving process: syncs requested on the bus, and a periodic
round that ends expired consents, asks the banks whether consents still stand, warns
about consents near their end, forgets abandoned link attempts, retries consent
deletions the bank missed and requests the syncs that are due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bankchat.banking import flows, service, sync, webhooks
from bankchat.events import Event, SyncRequested
from bankchat.platform import Platform
from bankchat.uow import Tx

logger = logging.getLogger(__name__)


def subscribe_sync(platform: Platform) -> Callable[[], None]:
    """Run a sync (without the person) for every ``SyncRequested`` event; a scheduled one
    is skipped if another process synced the connection meanwhile."""

    async def handle(event: Event) -> None:
        if not isinstance(event, SyncRequested):
            return
        fresh = (
            timedelta(hours=platform.settings.sync_every_hours)
            if event.reason == "schedule"
            else None
        )
        await sync.sync_connection(platform, event.connection_id, unless_synced_within=fresh)

    return platform.bus.subscribe(SyncRequested.kind, handle)


async def _duty(name: str, step: Callable[[], Awaitable[object]]) -> None:
    """Run one duty; a failure is logged and does not keep the others from running."""
    try:
        await step()
    except Exception:
        logger.exception("the banking duty %r failed; it runs again next round", name)


async def _in_unit_of_work(
    platform: Platform, step: Callable[[Platform, Tx], Awaitable[object]]
) -> None:
    async with platform.unit_of_work() as tx:
        await step(platform, tx)


async def run_round(platform: Platform, *, sync_every: timedelta) -> None:
    """One pass of the periodic duties, each on its own."""
    await _duty("expire", lambda: _in_unit_of_work(platform, service.expire_due))
    await _duty("consent status", lambda: sync.refresh_consent_statuses(platform))
    await _duty("expiry warnings", lambda: _in_unit_of_work(platform, service.warn_expiring))
    await _duty("abandoned links", lambda: flows.purge_abandoned_links(platform))
    await _duty("bank deletions", lambda: flows.retry_bank_deletions(platform))
    await _duty("webhook events", lambda: _in_unit_of_work(platform, webhooks.forget_old_events))
    await _duty("due syncs", lambda: _request_due_syncs(platform, sync_every))


async def _request_due_syncs(platform: Platform, sync_every: timedelta) -> None:
    async with platform.sessions() as session:
        due = await sync.due_connections(session, now=platform.clock(), older_than=sync_every)
    for connection_id in due:
        await platform.bus.publish(SyncRequested(connection_id=connection_id, reason="schedule"))


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
