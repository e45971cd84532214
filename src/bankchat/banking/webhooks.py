"""Bank webhooks: the bank says new data exists; the platform checks the signature,
refuses replays and asks for a sync of the affected connections.

A delivery carries ids and codes only; the data itself is read over NextGenPSD2 by the
sync, with the consent, budgeted and audited like any other read.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bankchat import hmac_signing
from bankchat.banking.models import Connection, ConnectionStatus, LinkedAccount, WebhookEvent
from bankchat.banking.partner_client import PartnerClient
from bankchat.banking.psd2_errors import Psd2Error
from bankchat.banking.schemas import BankEvent
from bankchat.errors import DomainError, Unauthenticated
from bankchat.events import BankNotified, SyncRequested
from bankchat.platform import Platform
from bankchat.uow import Tx

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-bankchat-signature"
# Longer than the signature tolerance, so a replay inside it always finds its event id.
REMEMBER_EVENTS = timedelta(days=1)
DATA_EVENTS = {"transaction.created", "transaction.booked"}


class BadSignature(Unauthenticated):
    code = "SIGNATURE_INVALID"


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    connections: list[str]


def webhook_url(platform: Platform, bank_id: str) -> str:
    return f"{platform.public_url}/hooks/banks/{bank_id}"


async def receive(
    platform: Platform, bank_id: str, body: bytes, signature: str | None
) -> WebhookResult:
    """Verify a delivery, remember its event id and request syncs it calls for."""
    bank = platform.banks.get(bank_id)
    if bank.partner_secret is None:
        raise BadSignature("This bank has no webhook secret configured.")
    if not signature:
        raise BadSignature("The delivery is not signed.", code="SIGNATURE_MISSING")
    try:
        hmac_signing.verify(
            bank.partner_secret.get_secret_value(),
            body,
            signature,
            # Signatures carry real time, whatever business date the platform runs on.
            time.time(),
        )
    except hmac_signing.SignatureError as exc:
        raise BadSignature(f"The signature is not valid: {exc}") from exc
    try:
        event = BankEvent.model_validate_json(body)
    except ValidationError as exc:
        raise DomainError(
            "The event is not a JSON object with an id, a type and ids as short tokens.",
            code="INVALID_EVENT",
        ) from exc
    event_id, event_type = event.id, event.type
    try:
        async with platform.unit_of_work() as tx:
            tx.session.add(
                WebhookEvent(
                    bank_id=bank_id,
                    event_id=event_id,
                    event_type=event_type,
                    received_at=platform.clock(),
                )
            )
            # A replayed event id fails here, before anything is published.
            await tx.session.flush()
            connections = (
                await _connections_of(tx, bank_id, event.account_id)
                if event_type in DATA_EVENTS
                else []
            )
            for connection_id in connections:
                tx.publish(SyncRequested(connection_id=connection_id, reason="webhook"))
            # Other events (suspicious payments, card blocks) are for the fraud domain.
            tx.publish(
                BankNotified(
                    bank_id=bank_id,
                    event_id=event_id,
                    event_type=event_type,
                    account_id=event.account_id,
                    transaction_id=event.transaction_id,
                    card_id=event.card_id,
                    reason=event.reason,
                    created=event.created.isoformat() if event.created else None,
                )
            )
    except IntegrityError:
        return WebhookResult(duplicate=True, connections=[])
    return WebhookResult(duplicate=False, connections=connections)


async def _connections_of(tx: Tx, bank_id: str, account_id: str | None) -> list[str]:
    """The valid connections through which the bank's account is linked."""
    if account_id is None:
        return []
    result = await tx.session.execute(
        select(LinkedAccount.connection_id)
        .join(Connection, Connection.id == LinkedAccount.connection_id)
        .where(
            LinkedAccount.bank_id == bank_id,
            LinkedAccount.external_id == account_id,
            Connection.status == ConnectionStatus.VALID.value,
        )
    )
    return sorted(set(result.scalars()))


async def forget_old_events(platform: Platform, tx: Tx) -> None:
    """Forget event ids older than any replay the signature check would let through."""
    await tx.session.execute(
        delete(WebhookEvent).where(WebhookEvent.received_at < platform.clock() - REMEMBER_EVENTS)
    )


async def register_webhooks(platform: Platform) -> dict[str, str]:
    """Make sure every bank with a partner extension knows where to send its events."""
    registered: dict[str, str] = {}
    for bank in platform.banks.all():
        if bank.partner_base_url is None or bank.partner_secret is None:
            continue
        try:
            client = PartnerClient(platform.http, bank)
            registered[bank.id] = await client.ensure_webhook(webhook_url(platform, bank.id))
        except Psd2Error as exc:
            logger.warning("could not register the webhook at %s: %s", bank.id, exc.code)
    return registered
