"""The assistant chat's side of other domains' events: every new person gets their
assistant conversation at sign-up, and notices tell them about their bank connections
(linked, ended, about to expire). Each event posts once (the connection id makes a
repeated event post nothing new) and is delivered live."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bankchat.db import transaction
from bankchat.identity.service import PERSON_CREATED
from bankchat.messaging import service
from bankchat.platform import Platform

logger = logging.getLogger(__name__)

# Bus subject -> the notice code the web client renders (see web/static/i18n.js).
NOTICES = {
    "banking.connection.linked": "BANK_LINKED",
    "banking.connection.ended": "BANK_REVOKED",
    "banking.consent.expiring": "CONSENT_EXPIRING",
}


def subscribe_notices(platform: Platform) -> Callable[[], None]:
    """Post a notice for every connection event; returns the unsubscribe function."""

    async def handle(subject: str, payload: dict[str, Any]) -> None:
        person_id, connection_id = payload.get("personId"), payload.get("connectionId")
        if not isinstance(person_id, str) or not isinstance(connection_id, str):
            return
        code = NOTICES[subject]
        params: dict[str, Any] = {"bank": platform.banks.name_of(str(payload.get("bankId", "")))}
        if "daysLeft" in payload:
            params["days"] = payload["daysLeft"]
        async with transaction(platform.sessions) as session:
            sent = await service.post_notice(
                session,
                person_id,
                code,
                params,
                now=platform.clock(),
                client_id=f"{code.lower()}-{connection_id}",
            )
        await service.publish_sent(platform.bus, sent)

    async def welcome(_subject: str, payload: dict[str, Any]) -> None:
        person_id = payload.get("personId")
        if isinstance(person_id, str):
            async with transaction(platform.sessions) as session:
                await service.ensure_assistant_conversation(
                    session, person_id, now=platform.clock()
                )

    unsubscribers = [platform.bus.subscribe(subject, handle) for subject in NOTICES]
    unsubscribers.append(platform.bus.subscribe(PERSON_CREATED, welcome))

    def unsubscribe() -> None:
        for each in unsubscribers:
            each()

    return unsubscribe
