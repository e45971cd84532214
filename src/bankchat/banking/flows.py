"""The banking flows that more than one caller runs, each written once: completing a
link, revoking a connection, deleting consents at the bank and forgetting abandoned link
attempts. (Syncing, "sync now" included, is ``sync.sync_connection``.)

A flow is a caller in the unit-of-work sense: where it has to talk to a bank it opens
its own units of work around the call, so no lock of ours waits on a bank. Where a flow
joins its caller's unit (``revoke``), the bank is called after that unit commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bankchat.banking import service, sync
from bankchat.banking.models import Connection
from bankchat.banking.psd2_errors import Psd2Error, is_unavailable
from bankchat.platform import Platform
from bankchat.uow import Tx

logger = logging.getLogger(__name__)

# How a caller runs work after it has answered (a route's background task, say); it is
# handed a coroutine function.
Later = Callable[[Callable[[], Awaitable[None]]], None]


@dataclass(frozen=True)
class LinkOutcome:
    outcome: Literal["linked", "denied", "failed"]
    connection_id: str | None
    reason: str | None = None
    bank_id: str | None = None


async def complete_link(
    platform: Platform,
    *,
    person_id: str,
    state: str,
    denied: bool,
    psu_ip: str,
    later: Later,
) -> LinkOutcome:
    """The person is back from the bank: keep the consent if the bank says it is valid,
    then (through ``later``) run the first sync, which counts as the person's since they
    have just been at their bank.

    The attempt is claimed in a unit of its own before anything else, so it stays
    consumed whatever happens next. A consent that did not become valid is deleted at the
    bank: nothing of a denied, failed or abandoned flow remains on either side. The bank
    is called while no write of ours is pending.
    """
    async with platform.unit_of_work() as tx:
        attempt = await service.claim_link_attempt(tx, person_id=person_id, state=state)
    bank = platform.banks.get(attempt.bank_id)
    client = service.client_for(platform, bank)
    consent_id = attempt.external_consent_id
    if attempt.expires_at < platform.clock():
        await service.forget_at_bank(client, consent_id)
        return LinkOutcome("failed", None, "LINK_EXPIRED")
    try:
        status = "rejected" if denied else await client.consent_status(consent_id, psu_ip=psu_ip)
        if status != "valid":
            await service.forget_at_bank(client, consent_id)
            if denied or status == "rejected":
                return LinkOutcome("denied", None)
            return LinkOutcome("failed", None, "CONSENT_NOT_VALID")
        info = await client.get_consent(consent_id, psu_ip=psu_ip)
        accounts = await client.list_accounts(consent_id, psu_ip=psu_ip, consent=info)
    except Psd2Error as exc:
        await service.forget_at_bank(client, consent_id)
        reason = "BANK_UNAVAILABLE" if is_unavailable(exc) else "BANK_REFUSED"
        return LinkOutcome("failed", None, reason)
    if not accounts:
        await service.forget_at_bank(client, consent_id)
        return LinkOutcome("failed", None, "NO_ACCOUNTS")
    async with platform.unit_of_work() as tx:
        connection = await service.store_link(platform, tx, attempt, info, accounts)
    connection_id = connection.id

    async def first_sync() -> None:
        await sync.sync_connection(platform, connection_id, psu_ip=psu_ip)

    later(first_sync)
    return LinkOutcome("linked", connection_id, bank_id=bank.id)


async def revoke(platform: Platform, tx: Tx, *, person_id: str, connection_id: str) -> Connection:
    """The person ends a connection, in ``tx``: reads stop and the bank's identifiers are
    purged when it commits; then the consent is deleted at the bank."""
    connection = await service.revoke_connection(
        platform, tx, person_id=person_id, connection_id=connection_id
    )
    _delete_at_bank_after_commit(platform, tx, connection)
    return connection


async def erase_person(platform: Platform, tx: Tx, person_id: str) -> None:
    """End and delete every connection of the person in ``tx``; after the commit their
    consents, and their link attempts, are deleted at the banks."""
    for connection in await service.erase_person(platform, tx, person_id):
        _delete_at_bank_after_commit(platform, tx, connection)
    tx.after_commit(lambda: purge_abandoned_links(platform))


def _delete_at_bank_after_commit(platform: Platform, tx: Tx, connection: Connection) -> None:
    if connection.bank_deletion_pending:
        connection_id = connection.id
        tx.after_commit(lambda: delete_at_bank(platform, connection_id))


async def delete_at_bank(platform: Platform, connection_id: str) -> bool:
    """Delete a connection's consent at its bank, then purge its id (and the row, if its
    person has been erased). False if the bank could not be reached: the connection stays
    marked, for the next round."""
    async with platform.sessions() as session:
        connection = await session.get(Connection, connection_id)
        if connection is None or not connection.bank_deletion_pending:
            return True
        bank_id, consent_id = connection.bank_id, connection.external_consent_id
    if consent_id is not None and bank_id in platform.banks:
        client = service.client_for(platform, platform.banks.get(bank_id))
        if not await service.forget_at_bank(client, consent_id):
            return False
    async with platform.unit_of_work() as tx:
        await service.bank_deletion_done(tx, connection_id)
    return True


async def retry_bank_deletions(platform: Platform) -> int:
    """Delete at the bank the consents still marked for deletion; returns how many went."""
    async with platform.sessions() as session:
        ids = await service.pending_bank_deletions(session)
    return sum([await delete_at_bank(platform, connection_id) for connection_id in ids])


async def purge_abandoned_links(platform: Platform) -> int:
    """Forget link attempts nobody came back from, at the bank and then here. An attempt
    whose bank cannot be reached stays for the next round."""
    async with platform.unit_of_work() as tx:
        attempts = await service.take_abandoned_links(platform, tx)
    for attempt in attempts:
        if attempt.bank_id in platform.banks:
            client = service.client_for(platform, platform.banks.get(attempt.bank_id))
            if not await service.forget_at_bank(client, attempt.external_consent_id):
                async with platform.unit_of_work() as tx:
                    service.restore_link_attempt(tx, attempt)
    return len(attempts)
