"""Sync: bring the vault's copy of a connection's accounts up to date with the bank.

Incremental per account: the bank is asked for the entries since the account's cursor
minus an overlap window (pending entries change and book within days), and the vault
applies them by key, so entries are added, modified in place or removed, never doubled.

Reads without the person present are budgeted: the uses a sync needs are reserved on the
connection row, under its write lock (``db.lock_row``, on SQLite and PostgreSQL alike),
before any call, so no number of processes or webhooks can make the platform exceed the
consent's ``frequencyPerDay``. An account with no budget left
today is deferred, not read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.banking import service
from bankchat.banking.models import Connection, ConnectionStatus, LinkedAccount
from bankchat.banking.psd2_client import Psd2Account, Psd2Client
from bankchat.banking.psd2_errors import BudgetExhausted, Psd2Error, consent_gone
from bankchat.events import SyncCompleted
from bankchat.platform import Platform
from bankchat.uow import Tx
from bankchat.vault.records import Balance, TransactionRecord

logger = logging.getLogger(__name__)

OVERLAP = timedelta(days=14)
# How far back the first sync reads (the bank may offer less).
HISTORY = timedelta(days=730)


@dataclass
class AccountSync:
    account_id: str
    added: int = 0
    modified: int = 0
    removed: int = 0
    deferred: bool = False


@dataclass
class SyncReport:
    connection_id: str
    status: str
    bank_id: str | None = None
    accounts: list[AccountSync] = field(default_factory=list)
    error: str | None = None

    @property
    def added(self) -> int:
        return sum(a.added for a in self.accounts)

    @property
    def modified(self) -> int:
        return sum(a.modified for a in self.accounts)

    @property
    def removed(self) -> int:
        return sum(a.removed for a in self.accounts)


class Reservation:
    """Uses reserved on the connection for this sync, spent by the client call by call."""

    def __init__(self, allowed: dict[str, int]) -> None:
        self._left = dict(allowed)

    def spend(self, resource: str) -> None:
        if self._left.get(resource, 0) <= 0:
            raise BudgetExhausted(429, "BUDGET_EXHAUSTED", "no reserved use left")
        self._left[resource] -= 1


@dataclass(frozen=True)
class _Plan:
    account: LinkedAccount
    date_from: date


def _needs(account: LinkedAccount) -> int:
    return sum(scope in account.scopes for scope in service.SCOPES)


def _reserve(connection: Connection, accounts: list[LinkedAccount], today: date) -> set[str]:
    """Reserve today's uses for as many accounts as the budget allows; returns their ids."""
    uses = service.uses_today(connection, today)
    granted: set[str] = set()
    for account in accounts:
        need = _needs(account)
        if uses.get(account.external_id, 0) + need <= connection.frequency_per_day:
            uses[account.external_id] = uses.get(account.external_id, 0) + need
            granted.add(account.id)
    connection.uses_date = today
    connection.uses = dict(uses)
    return granted


def _as_psd2_account(account: LinkedAccount) -> Psd2Account:
    return Psd2Account(
        resource_id=account.external_id,
        kind_path="card-accounts" if account.kind_path == "card-accounts" else "accounts",
        iban=None,
        bban=None,
        masked_pan=None,
        name=None,
        product=None,
        currency="",
        cash_account_type=None,
        owner_name=None,
        credit_limit=None,
    )


async def sync_now(
    platform: Platform, *, person_id: str, connection_id: str, psu_ip: str
) -> SyncReport:
    """The person asks to sync one of their connections now: with them present, so not
    limited by ``frequencyPerDay``. Someone else's connection is as unknown as none."""
    async with platform.sessions() as session:
        await service.get_connection(session, person_id, connection_id)
    return await sync_connection(platform, connection_id, psu_ip=psu_ip)


async def sync_connection(
    platform: Platform,
    connection_id: str,
    *,
    psu_ip: str | None = None,
    unless_synced_within: timedelta | None = None,
) -> SyncReport:
    """Sync every account of a connection; ``psu_ip`` when the person asked for it now.

    ``unless_synced_within`` skips a connection another process has just synced, so
    several processes running the same schedule spend the budget once.
    """
    now = platform.clock()
    today = now.date()
    async with platform.unit_of_work() as tx:
        connection = await service.locked_connection(tx.session, connection_id)
        if connection is None:
            return SyncReport(connection_id, "unknown")
        report = SyncReport(connection_id, connection.status, connection.bank_id)
        if not service.is_valid(connection):
            return report
        if connection.valid_until < today:
            await service.note_consent_gone(platform, tx, connection, "expired")
            report.status = connection.status
            return report
        last = connection.last_synced_at
        if unless_synced_within is not None and last and now - last < unless_synced_within:
            return report
        accounts = list(connection.accounts)
        allowed = (
            _reserve(connection, accounts, today) if psu_ip is None else {a.id for a in accounts}
        )
        plans = [
            _Plan(a, (a.synced_through - OVERLAP) if a.synced_through else today - HISTORY)
            for a in accounts
            if a.id in allowed
        ]
        consent_id = connection.external_consent_id
        bank = platform.banks.get(connection.bank_id)
        person_id = connection.person_id
    report.accounts = [AccountSync(a.id, deferred=True) for a in accounts if a.id not in allowed]
    if not plans or consent_id is None:
        return report
    client = service.client_for(platform, bank)
    fetched: list[tuple[_Plan, list[Balance] | None, list[TransactionRecord] | None]] = []
    for plan in plans:
        try:
            fetched.append((plan, *await _fetch(client, consent_id, plan, psu_ip)))
        except Psd2Error as exc:
            if consent_gone(exc):
                ended = await _end_if_gone(platform, connection_id, client, consent_id)
                if ended is not None:
                    return ended
            # One account the bank refuses must not keep the others from syncing.
            report.error = exc.code
            logger.warning("sync of an account of %s failed: %s", connection_id, exc.code)
    async with platform.unit_of_work() as tx:
        connection = await service.locked_connection(tx.session, connection_id)
        if connection is None or not service.is_valid(connection):
            # Revoked while we were reading: what was read must not be stored.
            report.status = connection.status if connection else "unknown"
            return report
        current = {a.id: a for a in connection.accounts}
        for plan, balances, records in fetched:
            account = current.get(plan.account.id)
            if account is None:
                continue
            result = await _store(platform, tx, person_id, account, balances, records, plan)
            report.accounts.append(result)
            account.synced_through = today
            account.last_synced_at = platform.clock()
        connection.last_synced_at = platform.clock()
        connection.last_sync_error = report.error
        synced = [a.account_id for a in report.accounts if not a.deferred]
        await platform.vault.record_event(
            tx,
            person_id=person_id,
            actor=service.person_actor(person_id) if psu_ip else "system:sync",
            action="sync",
            what={
                "bank": connection.bank_id,
                "connection": connection_id,
                "accounts": synced,
                "added": report.added,
                "modified": report.modified,
                "removed": report.removed,
            },
        )
        tx.publish(
            SyncCompleted(
                person_id=person_id,
                connection_id=connection_id,
                accounts=tuple(synced),
                added=report.added,
                modified=report.modified,
                removed=report.removed,
            )
        )
    return report


async def _fetch(
    client: Psd2Client, consent_id: str, plan: _Plan, psu_ip: str | None
) -> tuple[list[Balance] | None, list[TransactionRecord] | None]:
    """What the account's scopes allow: balances, and transactions since the plan's date."""
    account = plan.account
    budget = Reservation({account.external_id: _needs(account)})
    wire = _as_psd2_account(account)
    balances = (
        await client.balances(consent_id, wire, psu_ip=psu_ip, budget=budget)
        if "balances" in account.scopes
        else None
    )
    records = (
        await client.transactions(
            consent_id, wire, date_from=plan.date_from, psu_ip=psu_ip, budget=budget
        )
        if "transactions" in account.scopes
        else None
    )
    return balances, records


async def _store(
    platform: Platform,
    tx: Tx,
    person_id: str,
    account: LinkedAccount,
    balances: list[Balance] | None,
    records: list[TransactionRecord] | None,
    plan: _Plan,
) -> AccountSync:
    result = AccountSync(account.id)
    if balances is not None:
        await platform.vault.store_balances(tx, person_id, account.id, balances)
    if records is not None:
        changes = await platform.vault.apply_transactions(
            tx,
            person_id=person_id,
            account_id=account.id,
            records=records,
            window_from=plan.date_from,
        )
        result.added, result.modified, result.removed = (
            changes.added,
            changes.modified,
            changes.removed,
        )
    return result


async def _end_if_gone(
    platform: Platform, connection_id: str, client: Psd2Client, consent_id: str
) -> SyncReport | None:
    """The bank refused the consent. Its status (free to read) tells whether it ended; a
    consent still ``valid`` was refused for one account only, which ends nothing; None
    unless the connection was ended."""
    try:
        bank_status = await client.consent_status(consent_id)
    except Psd2Error:
        # Without the bank's word the consent is not ended on a guess; the next sync asks.
        return None
    if bank_status == ConnectionStatus.VALID.value:
        return None
    async with platform.unit_of_work() as tx:
        connection = await service.locked_connection(tx.session, connection_id)
        if connection is None:
            return SyncReport(connection_id, "unknown")
        await service.note_consent_gone(platform, tx, connection, bank_status)
        return SyncReport(connection_id, connection.status, connection.bank_id)


async def refresh_consent_statuses(platform: Platform) -> int:
    """Ask each bank whether the valid connections' consents still stand (status reads
    cost no budget), so a consent the person revoked at the bank ends here within a
    round, not at the next sync. Returns how many ended."""
    async with platform.sessions() as session:
        rows = (
            await session.execute(
                select(Connection.id, Connection.bank_id, Connection.external_consent_id).where(
                    Connection.status == ConnectionStatus.VALID.value
                )
            )
        ).all()
    ended = 0
    for connection_id, bank_id, consent_id in rows:
        if consent_id is None or bank_id not in platform.banks:
            continue
        client = service.client_for(platform, platform.banks.get(bank_id))
        ended += await _end_if_gone(platform, connection_id, client, consent_id) is not None
    return ended


async def due_connections(
    session: AsyncSession, *, now: datetime, older_than: timedelta
) -> list[str]:
    """Valid connections not synced within ``older_than``."""
    threshold = now - older_than
    result = await session.execute(
        select(Connection.id).where(
            Connection.status == ConnectionStatus.VALID.value,
            (Connection.last_synced_at.is_(None)) | (Connection.last_synced_at < threshold),
        )
    )
    return list(result.scalars())
