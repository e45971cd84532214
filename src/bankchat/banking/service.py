"""Every change to a person's bank connections: linking through the bank's own login,
the consent's terms and status, revocation (by the person, by the bank, by expiry),
expiry warnings and erasure. Sync lives in ``sync``, bank webhooks in ``webhooks``.

Bank calls happen here too, inside the caller's transaction: a refused or failed step
raises before anything is committed, so a denied or broken link leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.banking.models import (
    Connection,
    ConnectionStatus,
    LinkAttempt,
    LinkedAccount,
    RevokedBy,
)
from bankchat.banking.psd2_client import Psd2Account, Psd2Client
from bankchat.banking.psd2_errors import BankUnavailable, Psd2Error
from bankchat.banking.registry import BankEntry
from bankchat.db import lock_row, transaction
from bankchat.errors import Conflict, DomainError, NotFound, UpstreamUnavailable
from bankchat.platform import Platform
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AccountDetails

logger = logging.getLogger(__name__)

MAX_DAYS = 180
LINK_TTL = timedelta(minutes=30)
EXPIRY_WARNING = timedelta(days=7)
# The most the platform asks for: PSD2 caps reads without the person at 4 a day by default.
FREQUENCY_PER_DAY = 4
Scope = Literal["balances", "transactions"]
SCOPES: tuple[Scope, ...] = ("balances", "transactions")
SYSTEM_ACTOR = "system:banking"
ERASED_PERSON = "erased"
# Bus subjects for the chat (and anything else) to tell the person.
CONNECTION_LINKED = "banking.connection.linked"
CONNECTION_ENDED = "banking.connection.ended"


class ConnectionInactive(Conflict):
    code = "CONNECTION_INACTIVE"


@dataclass(frozen=True)
class LinkStarted:
    redirect_url: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkOutcome:
    outcome: Literal["linked", "denied", "failed"]
    connection_id: str | None
    reason: str | None = None
    bank_id: str | None = None


def person_actor(person_id: str) -> str:
    return f"person:{person_id}"


def client_for(platform: Platform, bank: BankEntry) -> Psd2Client:
    return Psd2Client(platform.http, bank.base_url)


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _unavailable(exc: Psd2Error) -> bool:
    return isinstance(exc, BankUnavailable)


def _bank_failure(exc: Psd2Error, bank: BankEntry) -> DomainError:
    """What the person hears when a bank call fails; never the bank's raw text."""
    if _unavailable(exc):
        return UpstreamUnavailable(f"{bank.name} is not reachable right now; try again later.")
    return UpstreamUnavailable(
        f"{bank.name} refused the request ({exc.code}).", code="BANK_REFUSED"
    )


# -- linking --------------------------------------------------------------------------


async def start_link(
    platform: Platform,
    session: AsyncSession,
    *,
    person_id: str,
    bank_id: str,
    scopes: Sequence[Scope],
    purposes: Sequence[Purpose],
    days: int,
    psu_ip: str,
) -> LinkStarted:
    """Ask the bank for a consent and return the bank's login page to send the person to."""
    bank = platform.banks.get(bank_id)
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"days must be between 1 and {MAX_DAYS}", code="INVALID_DURATION")
    wanted = sorted(set(scopes))
    if not wanted:
        raise DomainError("choose balances, transactions or both", code="NO_SCOPE")
    now = platform.clock()
    valid_until = now.date() + timedelta(days=days)
    state = secrets.token_urlsafe(24)
    callback = f"{platform.public_url}/api/v1/connections/callback"
    try:
        created = await client_for(platform, bank).create_consent(
            accounts=None,
            balances="balances" in wanted,
            transactions="transactions" in wanted,
            valid_until=valid_until,
            frequency_per_day=FREQUENCY_PER_DAY,
            redirect_uri=f"{callback}?{urlencode({'state': state})}",
            nok_redirect_uri=f"{callback}?{urlencode({'state': state, 'outcome': 'denied'})}",
            psu_ip=psu_ip,
        )
    except Psd2Error as exc:
        raise _bank_failure(exc, bank) from exc
    session.add(
        LinkAttempt(
            state_digest=_digest(state),
            person_id=person_id,
            bank_id=bank.id,
            external_consent_id=created.consent_id,
            scopes=wanted,
            purposes=sorted({Purpose(p).value for p in purposes} | {Purpose.USER_REQUEST.value}),
            valid_until=valid_until,
            frequency_per_day=FREQUENCY_PER_DAY,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
    )
    return LinkStarted(redirect_url=created.sca_redirect, expires_at=now + LINK_TTL)


async def complete_link(
    platform: Platform,
    session: AsyncSession,
    *,
    person_id: str,
    state: str,
    denied: bool,
    psu_ip: str,
) -> LinkOutcome:
    """The person is back from the bank: keep the consent if the bank says it is valid.

    The attempt is claimed (deleted) in a transaction of its own before anything else, so
    a second callback with the same state finds nothing, and it stays consumed whatever
    happens next. A consent that did not become valid is deleted at the bank: nothing of a
    denied, failed or abandoned flow remains on either side. The bank is called while no
    write of ours is pending, so no database lock waits on the bank.
    """
    async with transaction(platform.sessions) as claim:
        attempt = (
            await claim.execute(
                delete(LinkAttempt)
                .where(
                    LinkAttempt.state_digest == _digest(state),
                    LinkAttempt.person_id == person_id,
                )
                .returning(LinkAttempt)
            )
        ).scalar_one_or_none()
    if attempt is None:
        raise NotFound("This link is unknown or has already been used.", code="LINK_UNKNOWN")
    now = platform.clock()
    bank = platform.banks.get(attempt.bank_id)
    client = client_for(platform, bank)
    consent_id = attempt.external_consent_id
    if attempt.expires_at < now:
        await _forget_at_bank(client, consent_id)
        return LinkOutcome("failed", None, "LINK_EXPIRED")
    try:
        status = "rejected" if denied else await client.consent_status(consent_id, psu_ip=psu_ip)
        if status != "valid":
            await _forget_at_bank(client, consent_id)
            if denied or status == "rejected":
                return LinkOutcome("denied", None)
            return LinkOutcome("failed", None, "CONSENT_NOT_VALID")
        info = await client.get_consent(consent_id, psu_ip=psu_ip)
        accounts = await client.list_accounts(consent_id, psu_ip=psu_ip, consent=info)
    except Psd2Error as exc:
        await _forget_at_bank(client, consent_id)
        reason = "BANK_UNAVAILABLE" if _unavailable(exc) else "BANK_REFUSED"
        return LinkOutcome("failed", None, reason)
    if not accounts:
        await _forget_at_bank(client, consent_id)
        return LinkOutcome("failed", None, "NO_ACCOUNTS")
    connection = Connection(
        id=str(uuid.uuid4()),
        person_id=person_id,
        bank_id=bank.id,
        external_consent_id=attempt.external_consent_id,
        status=ConnectionStatus.VALID.value,
        scopes=attempt.scopes,
        purposes=attempt.purposes,
        valid_until=min(info.valid_until, attempt.valid_until),
        frequency_per_day=min(info.frequency_per_day, attempt.frequency_per_day),
        uses_date=None,
        uses={},
        authorised_at=now,
        created_at=now,
        bank_deletion_pending=False,
        accounts=[],
    )
    session.add(connection)
    await platform.vault.ensure_person_key(session, person_id)
    for account in accounts:
        linked = LinkedAccount(
            id=str(uuid.uuid4()),
            connection_id=connection.id,
            person_id=person_id,
            bank_id=bank.id,
            external_id=account.resource_id,
            kind_path=account.kind_path,
            scopes=[s for s in SCOPES if s in attempt.scopes and info.access.allows(s, account)],
        )
        connection.accounts.append(linked)
        await platform.vault.grant(
            session,
            person_id=person_id,
            account_id=linked.id,
            bank_id=bank.id,
            scopes=frozenset(linked.scopes),
            purposes=frozenset(Purpose(p) for p in attempt.purposes),
            valid_until=connection.valid_until,
        )
        await platform.vault.store_account(session, person_id, account_details(linked, account))
    await platform.vault.record_event(
        session,
        person_id=person_id,
        actor=person_actor(person_id),
        action="link",
        what={
            "bank": bank.id,
            "connection": connection.id,
            "accounts": [a.id for a in connection.accounts],
            "scopes": connection.scopes,
            "purposes": connection.purposes,
            "validUntil": connection.valid_until.isoformat(),
        },
    )
    return LinkOutcome("linked", connection.id, bank_id=bank.id)


def account_details(linked: LinkedAccount, account: Psd2Account) -> AccountDetails:
    kind = {"CACC": "checking", "SVGS": "savings", "CARD": "credit_card"}.get(
        account.cash_account_type or "",
        "credit_card" if account.kind_path == "card-accounts" else "other",
    )
    return AccountDetails(
        account_id=linked.id,
        bank_id=linked.bank_id,
        iban=account.iban,
        masked_pan=account.masked_pan,
        name=account.name,
        product=account.product,
        currency=account.currency,
        kind=kind,
        owner_name=account.owner_name,
    )


async def _forget_at_bank(client: Psd2Client, consent_id: str) -> bool:
    """Delete a consent at the bank; False if the bank could not be reached."""
    try:
        await client.delete_consent(consent_id)
    except Psd2Error:
        logger.warning("could not delete a consent at the bank")
        return False
    return True


# -- reading connections ----------------------------------------------------------------


def is_valid(connection: Connection) -> bool:
    """True while the connection allows reads at the bank."""
    return connection.status == ConnectionStatus.VALID.value


async def list_connections(session: AsyncSession, person_id: str) -> list[Connection]:
    result = await session.execute(
        select(Connection)
        .where(Connection.person_id == person_id)
        .order_by(Connection.created_at.desc())
    )
    return list(result.scalars())


async def get_connection(session: AsyncSession, person_id: str, connection_id: str) -> Connection:
    """The person's connection; someone else's is as unknown as a missing one."""
    connection = await session.get(Connection, connection_id)
    if connection is None or connection.person_id != person_id:
        raise NotFound("No such connection.", code="CONNECTION_UNKNOWN")
    return connection


async def locked_connection(session: AsyncSession, connection_id: str) -> Connection | None:
    """The connection, read fresh under its write lock (``db.lock_row``)."""
    await lock_row(session, Connection, connection_id)
    return await session.get(Connection, connection_id, populate_existing=True)


async def valid_connection_ids(session: AsyncSession) -> list[str]:
    result = await session.execute(
        select(Connection.id).where(Connection.status == ConnectionStatus.VALID.value)
    )
    return list(result.scalars())


async def linked_accounts(session: AsyncSession, person_id: str) -> list[LinkedAccount]:
    """The accounts of the person's valid connections, with the scopes each grants."""
    result = await session.execute(
        select(LinkedAccount).where(LinkedAccount.person_id == person_id)
    )
    return list(result.scalars())


# -- ending connections -----------------------------------------------------------------


async def end_connection(
    platform: Platform,
    session: AsyncSession,
    connection: Connection,
    *,
    status: ConnectionStatus,
    revoked_by: RevokedBy,
    actor: str,
) -> None:
    """Stop every read under ``connection`` at once and purge what identified the accounts.

    The vault deletes the stored data and keeps a revoked grant, so a later read is denied
    with a reason; the linked accounts (the bank's account ids) are deleted here.
    """
    if not is_valid(connection):
        return
    connection.status = status.value
    connection.revoked_at = platform.clock()
    connection.revoked_by = revoked_by.value
    await platform.vault.revoke(
        session,
        person_id=connection.person_id,
        account_ids=[a.id for a in connection.accounts],
        reason=revoked_by.value,
        actor=actor,
    )
    connection.accounts.clear()


async def revoke_connection(
    platform: Platform, session: AsyncSession, *, person_id: str, connection_id: str
) -> Connection:
    """The person ends a connection: reads stop now and the bank's identifiers are
    purged. The consent is marked for deletion at the bank, which ``delete_at_bank`` does
    after this transaction commits (and the periodic round retries until the bank
    answers), so no database lock waits on the bank."""
    connection = await get_connection(session, person_id, connection_id)
    if not is_valid(connection):
        raise ConnectionInactive("This connection has already ended.")
    await _end_by_person(platform, session, connection)
    return connection


async def _end_by_person(platform: Platform, session: AsyncSession, connection: Connection) -> None:
    """The person ends ``connection`` (if still valid); its consent, if the bank still
    has it, is marked for deletion there."""
    await end_connection(
        platform,
        session,
        connection,
        status=ConnectionStatus.TERMINATED_BY_TPP,
        revoked_by=RevokedBy.PERSON,
        actor=person_actor(connection.person_id),
    )
    connection.bank_deletion_pending = connection.external_consent_id is not None


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
        client = client_for(platform, platform.banks.get(bank_id))
        if not await _forget_at_bank(client, consent_id):
            return False
    async with transaction(platform.sessions) as session:
        connection = await locked_connection(session, connection_id)
        if connection is not None:
            if connection.person_id == ERASED_PERSON:
                await session.delete(connection)
            else:
                connection.external_consent_id = None
                connection.bank_deletion_pending = False
    return True


async def retry_bank_deletions(platform: Platform) -> int:
    """Delete at the bank the consents still marked for deletion; returns how many went."""
    async with platform.sessions() as session:
        pending = await session.execute(
            select(Connection.id).where(Connection.bank_deletion_pending.is_(True))
        )
        ids = list(pending.scalars())
    return sum([await delete_at_bank(platform, connection_id) for connection_id in ids])


async def note_consent_gone(
    platform: Platform, session: AsyncSession, connection: Connection, bank_status: str | None
) -> None:
    """The bank says the consent no longer allows reads: show it as such and stop reading."""
    status = {
        "expired": ConnectionStatus.EXPIRED,
        "terminatedByTpp": ConnectionStatus.TERMINATED_BY_TPP,
    }.get(bank_status or "", ConnectionStatus.REVOKED_BY_PSU)
    revoked_by = RevokedBy.EXPIRY if status is ConnectionStatus.EXPIRED else RevokedBy.BANK
    await end_connection(
        platform, session, connection, status=status, revoked_by=revoked_by, actor=SYSTEM_ACTOR
    )
    # The bank's consent is dead; its id identifies nothing we may still use.
    connection.external_consent_id = None
    connection.bank_deletion_pending = False
    await platform.bus.publish(
        CONNECTION_ENDED,
        {
            "personId": connection.person_id,
            "connectionId": connection.id,
            "bankId": connection.bank_id,
            "status": connection.status,
        },
    )


async def expire_due(platform: Platform, session: AsyncSession) -> int:
    """End the connections past their ``valid_until``."""
    today = platform.clock().date()
    due = await session.execute(
        select(Connection).where(
            Connection.status == ConnectionStatus.VALID.value, Connection.valid_until < today
        )
    )
    count = 0
    for connection in due.scalars():
        await note_consent_gone(platform, session, connection, "expired")
        count += 1
    return count


async def warn_expiring(platform: Platform, session: AsyncSession) -> list[str]:
    """Publish ``banking.consent.expiring`` once for each connection within 7 days of its
    end, so the person can renew it in time; returns the connections warned about."""
    now = platform.clock()
    horizon = now.date() + EXPIRY_WARNING
    due = await session.execute(
        select(Connection).where(
            Connection.status == ConnectionStatus.VALID.value,
            Connection.valid_until <= horizon,
            Connection.expiry_warned_at.is_(None),
        )
    )
    warned: list[str] = []
    for connection in due.scalars():
        connection.expiry_warned_at = now
        warned.append(connection.id)
        await platform.bus.publish(
            "banking.consent.expiring",
            {
                "personId": connection.person_id,
                "connectionId": connection.id,
                "bankId": connection.bank_id,
                "validUntil": connection.valid_until.isoformat(),
                "daysLeft": (connection.valid_until - now.date()).days,
            },
        )
    return warned


async def purge_abandoned_links(platform: Platform) -> int:
    """Forget link attempts nobody came back from, at the bank and then here. An attempt
    whose bank cannot be reached stays for the next round."""
    async with transaction(platform.sessions) as session:
        stale = await session.execute(
            delete(LinkAttempt)
            .where(LinkAttempt.expires_at < platform.clock())
            .returning(LinkAttempt)
        )
        attempts = list(stale.scalars())
    for attempt in attempts:
        if attempt.bank_id in platform.banks:
            bank = platform.banks.get(attempt.bank_id)
            if not await _forget_at_bank(client_for(platform, bank), attempt.external_consent_id):
                async with transaction(platform.sessions) as session:
                    session.add(_copy(attempt))
    return len(attempts)


def _copy(attempt: LinkAttempt) -> LinkAttempt:
    return LinkAttempt(
        state_digest=attempt.state_digest,
        person_id=attempt.person_id,
        bank_id=attempt.bank_id,
        external_consent_id=attempt.external_consent_id,
        scopes=attempt.scopes,
        purposes=attempt.purposes,
        valid_until=attempt.valid_until,
        frequency_per_day=attempt.frequency_per_day,
        created_at=attempt.created_at,
        expires_at=attempt.expires_at,
    )


async def erase_person(platform: Platform, session: AsyncSession, person_id: str) -> None:
    """End every connection of the person and delete their banking rows.

    What still exists at a bank is left as anonymous rows (no person): connections marked
    for deletion there, and link attempts due for ``purge_abandoned_links``. After the
    commit, ``retry_bank_deletions`` and ``purge_abandoned_links`` end them at the banks.
    """
    for connection in await list_connections(session, person_id):
        await _end_by_person(platform, session, connection)
        if connection.bank_deletion_pending:
            connection.person_id = ERASED_PERSON
        else:
            await session.delete(connection)
    await session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.person_id == person_id)
        .values(person_id=ERASED_PERSON, expires_at=platform.clock())
    )


def uses_today(connection: Connection, today: date) -> dict[str, int]:
    """Reads without the person spent today, by resource (empty on a new day)."""
    if connection.uses_date != today:
        return {}
    return {key: int(value) for key, value in connection.uses.items()}
