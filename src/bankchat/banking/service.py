"""Every change to a person's bank connections: linking through the bank's own login,
the consent's terms and status, revocation (by the person, by the bank, by expiry),
expiry warnings and erasure. Every write takes the caller's unit of work (``uow.Tx``)
and registers its events there, so they are published only after the commit. Flows that
span several units of work with bank calls between them (completing a link, deleting a
consent at the bank) live in ``flows``; sync in ``sync``, bank webhooks in ``webhooks``.
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
from bankchat.banking.psd2_client import ConsentInfo, Psd2Account, Psd2Client
from bankchat.banking.psd2_errors import Psd2Error, is_unavailable
from bankchat.banking.registry import BankEntry
from bankchat.db import lock_row
from bankchat.errors import Conflict, DomainError, NotFound, UpstreamUnavailable
from bankchat.events import ConnectionEnded, ConnectionLinked, ConsentExpiring
from bankchat.platform import Platform
from bankchat.uow import Tx
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


class ConnectionInactive(Conflict):
    code = "CONNECTION_INACTIVE"


@dataclass(frozen=True)
class LinkStarted:
    redirect_url: str
    expires_at: datetime


def person_actor(person_id: str) -> str:
    return f"person:{person_id}"


def client_for(platform: Platform, bank: BankEntry) -> Psd2Client:
    return Psd2Client(platform.http, bank.base_url)


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _bank_failure(exc: Psd2Error, bank: BankEntry) -> DomainError:
    """What the person hears when a bank call fails; never the bank's raw text."""
    if is_unavailable(exc):
        return UpstreamUnavailable(f"{bank.name} is not reachable right now; try again later.")
    return UpstreamUnavailable(
        f"{bank.name} refused the request ({exc.code}).", code="BANK_REFUSED"
    )


# -- linking --------------------------------------------------------------------------


async def start_link(
    platform: Platform,
    tx: Tx,
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
    tx.session.add(
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


async def claim_link_attempt(tx: Tx, *, person_id: str, state: str) -> LinkAttempt:
    """Take (delete) the person's link attempt for ``state``: a second callback with the
    same state finds nothing, whatever happens next."""
    attempt = (
        await tx.session.execute(
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
    return attempt


async def store_link(
    platform: Platform,
    tx: Tx,
    attempt: LinkAttempt,
    info: ConsentInfo,
    accounts: Sequence[Psd2Account],
) -> Connection:
    """Keep the consent the bank confirmed: the connection, its accounts, the vault's
    grants and the accounts' details; ``ConnectionLinked`` is published after the commit."""
    session = tx.session
    now = platform.clock()
    person_id = attempt.person_id
    bank = platform.banks.get(attempt.bank_id)
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
    await platform.vault.ensure_person_key(tx, person_id)
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
            tx,
            person_id=person_id,
            account_id=linked.id,
            bank_id=bank.id,
            scopes=frozenset(linked.scopes),
            purposes=frozenset(Purpose(p) for p in attempt.purposes),
            valid_until=connection.valid_until,
        )
        await platform.vault.store_account(tx, person_id, account_details(linked, account))
    await platform.vault.record_event(
        tx,
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
    tx.publish(ConnectionLinked(person_id=person_id, connection_id=connection.id, bank_id=bank.id))
    return connection


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


async def forget_at_bank(client: Psd2Client, consent_id: str) -> bool:
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
    tx: Tx,
    connection: Connection,
    *,
    status: ConnectionStatus,
    revoked_by: RevokedBy,
    actor: str,
) -> None:
    """Stop every read under ``connection`` at once and purge what identified the accounts;
    ``ConnectionEnded`` is published after the commit.

    The vault deletes the stored data and keeps a revoked grant, so a later read is denied
    with a reason; the linked accounts (the bank's account ids) are deleted here.
    """
    if not is_valid(connection):
        return
    connection.status = status.value
    connection.revoked_at = platform.clock()
    connection.revoked_by = revoked_by.value
    await platform.vault.revoke(
        tx,
        person_id=connection.person_id,
        account_ids=[a.id for a in connection.accounts],
        reason=revoked_by.value,
        actor=actor,
    )
    connection.accounts.clear()
    tx.publish(
        ConnectionEnded(
            person_id=connection.person_id,
            connection_id=connection.id,
            bank_id=connection.bank_id,
            status=connection.status,
        )
    )


async def revoke_connection(
    platform: Platform, tx: Tx, *, person_id: str, connection_id: str
) -> Connection:
    """The person ends a connection (in the privacy center or in chat): reads stop now and
    the bank's identifiers are purged, and the consent is marked for deletion at the bank
    (``flows.revoke`` has it deleted there after the commit)."""
    connection = await get_connection(tx.session, person_id, connection_id)
    if not is_valid(connection):
        raise ConnectionInactive("This connection has already ended.")
    await _end_by_person(platform, tx, connection)
    return connection


async def _end_by_person(platform: Platform, tx: Tx, connection: Connection) -> None:
    """The person ends ``connection`` (if still valid); its consent, if the bank still
    has it, is marked for deletion there."""
    await end_connection(
        platform,
        tx,
        connection,
        status=ConnectionStatus.TERMINATED_BY_TPP,
        revoked_by=RevokedBy.PERSON,
        actor=person_actor(connection.person_id),
    )
    connection.bank_deletion_pending = connection.external_consent_id is not None


async def note_consent_gone(
    platform: Platform, tx: Tx, connection: Connection, bank_status: str | None
) -> None:
    """The bank says the consent no longer allows reads: show it as such and stop reading."""
    status = {
        "expired": ConnectionStatus.EXPIRED,
        "terminatedByTpp": ConnectionStatus.TERMINATED_BY_TPP,
    }.get(bank_status or "", ConnectionStatus.REVOKED_BY_PSU)
    revoked_by = RevokedBy.EXPIRY if status is ConnectionStatus.EXPIRED else RevokedBy.BANK
    await end_connection(
        platform, tx, connection, status=status, revoked_by=revoked_by, actor=SYSTEM_ACTOR
    )
    # The bank's consent is dead; its id identifies nothing we may still use.
    connection.external_consent_id = None
    connection.bank_deletion_pending = False


async def expire_due(platform: Platform, tx: Tx) -> int:
    """End the connections past their ``valid_until``."""
    today = platform.clock().date()
    due = await tx.session.execute(
        select(Connection).where(
            Connection.status == ConnectionStatus.VALID.value, Connection.valid_until < today
        )
    )
    count = 0
    for connection in due.scalars():
        await note_consent_gone(platform, tx, connection, "expired")
        count += 1
    return count


async def warn_expiring(platform: Platform, tx: Tx) -> list[str]:
    """Publish ``ConsentExpiring`` once for each connection within 7 days of its end, so
    the person can renew it in time; returns the connections warned about."""
    now = platform.clock()
    horizon = now.date() + EXPIRY_WARNING
    due = await tx.session.execute(
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
        tx.publish(
            ConsentExpiring(
                person_id=connection.person_id,
                connection_id=connection.id,
                bank_id=connection.bank_id,
                valid_until=connection.valid_until,
                days_left=(connection.valid_until - now.date()).days,
            )
        )
    return warned


async def take_abandoned_links(platform: Platform, tx: Tx) -> list[LinkAttempt]:
    """Delete the link attempts nobody came back from, returning them."""
    stale = await tx.session.execute(
        delete(LinkAttempt).where(LinkAttempt.expires_at < platform.clock()).returning(LinkAttempt)
    )
    return list(stale.scalars())


def restore_link_attempt(tx: Tx, attempt: LinkAttempt) -> None:
    """Put back an attempt taken by ``take_abandoned_links`` (its bank was unreachable)."""
    tx.session.add(
        LinkAttempt(
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
    )


async def bank_deletion_done(tx: Tx, connection_id: str) -> None:
    """The bank has deleted the connection's consent: purge its id (and the row, if its
    person has been erased)."""
    connection = await locked_connection(tx.session, connection_id)
    if connection is not None:
        if connection.person_id == ERASED_PERSON:
            await tx.session.delete(connection)
        else:
            connection.external_consent_id = None
            connection.bank_deletion_pending = False


async def pending_bank_deletions(session: AsyncSession) -> list[str]:
    """Connections whose consent is still to be deleted at the bank."""
    pending = await session.execute(
        select(Connection.id).where(Connection.bank_deletion_pending.is_(True))
    )
    return list(pending.scalars())


async def erase_person(platform: Platform, tx: Tx, person_id: str) -> list[Connection]:
    """End every connection of the person and delete their banking rows; returns the
    connections it ended.

    What still exists at a bank is left as anonymous rows (no person): connections marked
    for deletion there, and link attempts due for ``flows.purge_abandoned_links``.
    """
    session = tx.session
    connections = await list_connections(session, person_id)
    for connection in connections:
        await _end_by_person(platform, tx, connection)
        if connection.bank_deletion_pending:
            connection.person_id = ERASED_PERSON
        else:
            await session.delete(connection)
    await session.execute(
        update(LinkAttempt)
        .where(LinkAttempt.person_id == person_id)
        .values(person_id=ERASED_PERSON, expires_at=platform.clock())
    )
    return connections


def uses_today(connection: Connection, today: date) -> dict[str, int]:
    """Reads without the person spent today, by resource (empty on a new day)."""
    if connection.uses_date != today:
        return {}
    return {key: int(value) for key, value in connection.uses.items()}
