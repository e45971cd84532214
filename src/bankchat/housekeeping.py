"""The periodic duties of a serving process, one round every few minutes: the banking
round (due syncs, expiry warnings, ended consents, abandoned links, webhook
registration) and pruning of ended sessions and old login attempts."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bankchat.banking import worker
from bankchat.identity import service as identity
from bankchat.platform import Platform

logger = logging.getLogger(__name__)


async def run_round(platform: Platform, registration: worker.WebhookRegistration) -> None:
    """One pass over every duty; each commits on its own, so one failure stays local."""
    await registration.ensure()
    await worker.run_round(platform, sync_every=timedelta(hours=platform.settings.sync_every_hours))
    async with platform.unit_of_work() as tx:
        now = platform.clock()
        await identity.prune_expired_sessions(tx, now=now)
        await identity.prune_login_attempts(tx, now=now)


async def periodic(platform: Platform) -> None:
    """Run a round every ``sync_round_seconds`` until cancelled."""
    registration = worker.WebhookRegistration(platform)
    while True:
        try:
            await run_round(platform, registration)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("a housekeeping round failed; trying again next time")
        await asyncio.sleep(platform.settings.sync_round_seconds)
