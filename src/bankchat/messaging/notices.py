"""The assistant chat's side of other domains' events: every new person gets their
assistant conversation at sign-up, and notices tell them about their bank connections
(linked, ended, about to expire). Each event posts once (the connection id makes a
repeated event post nothing new) and is delivered live."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bankchat.events import (
    ConnectionEnded,
    ConnectionEvent,
    ConnectionLinked,
    ConsentExpiring,
    Event,
    PersonCreated,
)
from bankchat.messaging import service
from bankchat.platform import Platform

logger = logging.getLogger(__name__)

# Event -> the notice code the web client renders (see web/static/i18n.js).
NOTICES: dict[type[ConnectionEvent], str] = {
    ConnectionLinked: "BANK_LINKED",
    ConnectionEnded: "BANK_REVOKED",
    ConsentExpiring: "CONSENT_EXPIRING",
}


def subscribe_notices(platform: Platform) -> Callable[[], None]:
    """Post a notice for every connection event; returns the unsubscribe function."""

    async def handle(event: Event) -> None:
        if not isinstance(event, ConnectionEvent):
            return
        code = NOTICES[type(event)]
        params: dict[str, Any] = {"bank": platform.banks.name_of(event.bank_id)}
        if isinstance(event, ConsentExpiring):
            params["days"] = event.days_left
        async with platform.unit_of_work() as tx:
            await service.post_notice(
                tx,
                event.person_id,
                code,
                params,
                now=platform.clock(),
                client_id=f"{code.lower()}-{event.connection_id}",
            )

    async def welcome(event: Event) -> None:
        if isinstance(event, PersonCreated):
            async with platform.unit_of_work() as tx:
                await service.ensure_assistant_conversation(
                    tx, event.person_id, now=platform.clock()
                )

    unsubscribers = [platform.bus.subscribe(cls.kind, handle) for cls in NOTICES]
    unsubscribers.append(platform.bus.subscribe(PersonCreated.kind, welcome))

    def unsubscribe() -> None:
        for each in unsubscribers:
            each()

    return unsubscribe
