"""The audited reads: bank data handed out only under a live grant for a named purpose,
each read (or refused read) appended to the person's audit chain; and the export of
everything the vault holds for a person.

Each read runs in the caller's unit of work and appends its audit entry there; should
that unit roll back (a refused read the caller does not catch, a later failure), the
entry is appended again in a transaction of its own, so no read, allowed or refused, is
missing from the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.db import transaction
from bankchat.uow import Tx
from bankchat.vault import audit
from bankchat.vault.crypto import PersonCipher, VaultIntegrityError
from bankchat.vault.data_keys import DataKeys
from bankchat.vault.denials import AccessDenied
from bankchat.vault.grants import decide, require_purpose
from bankchat.vault.models import (
    VaultAccount,
    VaultBalances,
    VaultDataKey,
    VaultGrant,
    VaultTransaction,
    utc,
)
from bankchat.vault.plaintext import (
    ACCOUNT_FIELD,
    ANNOTATION_FIELD,
    BALANCES_FIELD,
    TRANSACTION_GROUPS,
    json_value,
    transaction_record,
)
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AccountDetails, Balance, StoredTransaction

T = TypeVar("T")
AnyRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class AccountsWithBalances:
    """What one read of accounts and balances hands out.

    ``balances`` holds only the accounts whose grant shares balances (an empty list where
    none are stored yet): an account listed without an entry there may not be read for
    its balances.
    """

    accounts: list[AccountDetails]
    balances: dict[str, list[Balance]]


class AuditedReads:
    """Reads the person's bank data for a purpose, each in its own audited transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keys: DataKeys,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessions
        self._keys = keys
        self._clock = clock

    async def _log(
        self,
        tx: Tx,
        person_id: str,
        actor: str,
        action: str,
        purpose: Purpose,
        what: dict[str, Any],
        now: datetime,
    ) -> None:
        """Append the read's entry in ``tx``, and again on its own should ``tx`` roll back."""

        async def append(session: AsyncSession) -> None:
            await audit.append(
                session,
                person_id=person_id,
                actor=actor,
                action=action,
                purpose=purpose,
                what=what,
                now=now,
            )

        async def append_alone() -> None:
            async with transaction(self._sessions) as session:
                await append(session)

        await append(tx.session)
        tx.after_rollback(append_alone)

    async def _audited_read(
        self,
        tx: Tx,
        *,
        person_id: str,
        actor: str,
        purpose: Purpose,
        resource: str,
        scope: str | None,
        account_ids: Sequence[str] | None,
        load: Callable[[AsyncSession, list[VaultGrant]], Awaitable[tuple[T, int]]],
        details: dict[str, Any] | None = None,
        granted_details: Callable[[list[VaultGrant]], dict[str, Any]] | None = None,
    ) -> T:
        """Check the grants, load through ``load``, and append one audit entry either way.

        ``details`` goes into the entry either way; ``granted_details`` adds to the entry
        of an allowed read what depends on the grants that allowed it."""
        details = details or {}
        require_purpose(purpose)
        if isinstance(account_ids, str):
            raise TypeError("account_ids must be a sequence of ids, not one string")
        requested = list(dict.fromkeys(account_ids)) if account_ids is not None else None
        now = self._clock()
        session = tx.session
        grants = {
            grant.account_id: grant
            for grant in (
                await session.scalars(select(VaultGrant).where(VaultGrant.person_id == person_id))
            ).all()
        }
        decision = decide(grants, requested, scope, purpose, now.date())
        if decision.reason is not None:
            action = "read_denied"
            what: dict[str, Any] = {
                "resource": resource,
                "accounts": requested if requested is not None else [],
                **details,
                "reason": decision.reason.value,
            }
            if decision.account_id is not None:
                what["account"] = decision.account_id
        else:
            action = "read"
            result, count = await load(session, decision.allowed)
            what = {
                "resource": resource,
                "accounts": [grant.account_id for grant in decision.allowed],
                "banks": sorted({grant.bank_id for grant in decision.allowed}),
                **details,
                **(granted_details(decision.allowed) if granted_details else {}),
                "count": count,
            }
        await self._log(tx, person_id, actor, action, purpose, what, now)
        if decision.reason is not None:
            raise AccessDenied(resource, decision.reason, decision.account_id)
        return result

    async def read_accounts(
        self, tx: Tx, *, person_id: str, actor: str, purpose: Purpose
    ) -> list[AccountDetails]:
        """The details of every account whose live grant allows ``purpose``."""

        async def load(
            session: AsyncSession, grants: list[VaultGrant]
        ) -> tuple[list[AccountDetails], int]:
            rows = (
                await session.execute(
                    select(VaultAccount.account_id, VaultAccount.details)
                    .where(
                        VaultAccount.person_id == person_id,
                        VaultAccount.account_id.in_([g.account_id for g in grants]),
                    )
                    .order_by(VaultAccount.account_id)
                )
            ).all()
            if not rows:
                return [], 0
            cipher = await self._keys.existing_cipher(session, person_id)
            accounts = [
                AccountDetails.from_json(_open_account(cipher, row.account_id, row.details))
                for row in rows
            ]
            return accounts, len(accounts)

        return await self._audited_read(
            tx,
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            resource="accounts",
            scope=None,
            account_ids=None,
            load=load,
        )

    async def read_balances(
        self,
        tx: Tx,
        *,
        person_id: str,
        actor: str,
        purpose: Purpose,
        account_ids: Sequence[str] | None = None,
    ) -> dict[str, list[Balance]]:
        """Balances per account (an empty list where none are stored yet)."""

        async def load(
            session: AsyncSession, grants: list[VaultGrant]
        ) -> tuple[dict[str, list[Balance]], int]:
            result: dict[str, list[Balance]] = {g.account_id: [] for g in grants}
            rows = (
                await session.execute(
                    select(VaultBalances.account_id, VaultBalances.balances).where(
                        VaultBalances.person_id == person_id,
                        VaultBalances.account_id.in_(list(result)),
                    )
                )
            ).all()
            if rows:
                cipher = await self._keys.existing_cipher(session, person_id)
                for row in rows:
                    plain = _open_balances(cipher, row.account_id, row.balances)
                    result[row.account_id] = [Balance.from_json(b) for b in plain]
            return result, sum(len(balances) for balances in result.values())

        return await self._audited_read(
            tx,
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            resource="balances",
            scope="balances",
            account_ids=account_ids,
            load=load,
        )

    async def read_accounts_with_balances(
        self, tx: Tx, *, person_id: str, actor: str, purpose: Purpose
    ) -> AccountsWithBalances:
        """``read_accounts`` and the balances of those accounts whose grant shares them, in
        one transaction with one audit entry (resource ``accounts_with_balances``; its
        ``balances`` names the accounts whose balances were read).

        An account shared without balances is listed without them rather than refusing
        the read; only when no live grant allows ``purpose`` at all is it refused.
        """

        def shares_balances(grants: list[VaultGrant]) -> list[str]:
            return [g.account_id for g in grants if "balances" in g.scopes]

        async def load(
            session: AsyncSession, grants: list[VaultGrant]
        ) -> tuple[AccountsWithBalances, int]:
            readable = shares_balances(grants)
            # One query for all of it: a balances row joins only where it may be read, and
            # the person's data key comes along (each account row repeats it).
            rows = (
                await session.execute(
                    select(
                        VaultAccount.account_id,
                        VaultAccount.details,
                        VaultBalances.balances,
                        VaultDataKey.version,
                        VaultDataKey.wrapped,
                        VaultDataKey.master_key_id,
                    )
                    .outerjoin(
                        VaultBalances,
                        (VaultBalances.person_id == VaultAccount.person_id)
                        & (VaultBalances.account_id == VaultAccount.account_id)
                        & VaultBalances.account_id.in_(readable),
                    )
                    .outerjoin(VaultDataKey, VaultDataKey.person_id == VaultAccount.person_id)
                    .where(
                        VaultAccount.person_id == person_id,
                        VaultAccount.account_id.in_([g.account_id for g in grants]),
                    )
                    .order_by(VaultAccount.account_id)
                )
            ).all()
            if not rows:
                return AccountsWithBalances([], {}), 0
            key = rows[0]
            if key.wrapped is None:
                self._keys.forget(person_id)
                raise VaultIntegrityError(f"person {person_id} has stored data but no data key")
            cipher = self._keys.cipher_of(person_id, key.version, key.wrapped, key.master_key_id)
            accounts = []
            balances: dict[str, list[Balance]] = {}
            shared = set(readable)
            for row in rows:
                accounts.append(
                    AccountDetails.from_json(_open_account(cipher, row.account_id, row.details))
                )
                if row.account_id not in shared:
                    continue
                balances[row.account_id] = (
                    [
                        Balance.from_json(b)
                        for b in _open_balances(cipher, row.account_id, row.balances)
                    ]
                    if row.balances is not None
                    else []
                )
            count = len(accounts) + sum(len(found) for found in balances.values())
            return AccountsWithBalances(accounts, balances), count

        return await self._audited_read(
            tx,
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            resource="accounts_with_balances",
            scope=None,
            account_ids=None,
            load=load,
            granted_details=lambda grants: {"balances": shares_balances(grants)},
        )

    async def read_transactions(
        self,
        tx: Tx,
        *,
        person_id: str,
        actor: str,
        purpose: Purpose,
        account_ids: Sequence[str] | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        limit: int | None = None,
    ) -> list[StoredTransaction]:
        """Transactions newest first, optionally within [date_from, date_to] (inclusive).

        Undated transactions (no booking, value or transaction date) come first and are
        left out when a date range is given.
        """
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")

        async def load(
            session: AsyncSession, grants: list[VaultGrant]
        ) -> tuple[list[StoredTransaction], int]:
            query = _transactions_query(person_id, [g.account_id for g in grants])
            if date_from is not None:
                query = query.where(VaultTransaction.sort_date >= date_from)
            if date_to is not None:
                query = query.where(VaultTransaction.sort_date <= date_to)
            if limit is not None:
                query = query.limit(limit)
            rows = (await session.execute(query)).all()
            if not rows:
                return [], 0
            cipher = await self._keys.existing_cipher(session, person_id)
            found = _decrypt_transactions(cipher, rows)
            return found, len(found)

        return await self._audited_read(
            tx,
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            resource="transactions",
            scope="transactions",
            account_ids=account_ids,
            details={
                "from": date_from.isoformat() if date_from else None,
                "to": date_to.isoformat() if date_to else None,
            },
            load=load,
        )

    async def export_person(self, tx: Tx, *, person_id: str, actor: str) -> dict[str, Any]:
        """Everything the vault holds for the person, decrypted into JSON-ready values.

        Grants are listed even when revoked or expired; their data is already gone.
        """
        now = self._clock()
        session = tx.session
        grants = (
            await session.scalars(
                select(VaultGrant)
                .where(VaultGrant.person_id == person_id)
                .order_by(VaultGrant.account_id)
            )
        ).all()
        account_rows = (
            await session.execute(
                select(VaultAccount.account_id, VaultAccount.details)
                .where(VaultAccount.person_id == person_id)
                .order_by(VaultAccount.account_id)
            )
        ).all()
        balance_rows = (
            await session.execute(
                select(VaultBalances.account_id, VaultBalances.balances)
                .where(VaultBalances.person_id == person_id)
                .order_by(VaultBalances.account_id)
            )
        ).all()
        transaction_rows = (await session.execute(_transactions_query(person_id, None))).all()
        accounts: list[dict[str, Any]] = []
        balances: dict[str, list[dict[str, Any]]] = {}
        transactions: list[dict[str, Any]] = []
        if account_rows or balance_rows or transaction_rows:
            cipher = await self._keys.existing_cipher(session, person_id)
            accounts = [_open_account(cipher, row.account_id, row.details) for row in account_rows]
            balances = {
                row.account_id: _open_balances(cipher, row.account_id, row.balances)
                for row in balance_rows
            }
            transactions = [
                stored.as_json() for stored in _decrypt_transactions(cipher, transaction_rows)
            ]
        await self._log(
            tx,
            person_id,
            actor,
            "export",
            Purpose.USER_REQUEST,
            {
                "resource": "export",
                "accounts": [row.account_id for row in account_rows],
                "banks": sorted({grant.bank_id for grant in grants}),
                "count": len(transactions),
            },
            now,
        )
        return {
            "grants": [_grant_json(grant) for grant in grants],
            "accounts": accounts,
            "balances": balances,
            "transactions": transactions,
        }


def _open_account(cipher: PersonCipher, account_id: str, sealed: bytes) -> dict[str, Any]:
    """The JSON form of an account's details, as ``store_account`` sealed it."""
    opened: dict[str, Any] = json_value(cipher.open(ACCOUNT_FIELD, account_id, sealed))
    return opened


def _open_balances(cipher: PersonCipher, account_id: str, sealed: bytes) -> list[dict[str, Any]]:
    """The JSON forms of an account's balances, as ``store_balances`` sealed them."""
    opened: list[dict[str, Any]] = json_value(cipher.open(BALANCES_FIELD, account_id, sealed))
    return opened


def _grant_json(grant: VaultGrant) -> dict[str, Any]:
    return {
        "account_id": grant.account_id,
        "bank_id": grant.bank_id,
        "scopes": sorted(grant.scopes),
        "purposes": sorted(grant.purposes),
        "valid_until": grant.valid_until.isoformat(),
        "revoked_at": utc(grant.revoked_at).isoformat() if grant.revoked_at else None,
        "revoked_reason": grant.revoked_reason,
        "created_at": utc(grant.created_at).isoformat(),
    }


def _transactions_query(person_id: str, account_ids: list[str] | None) -> Any:
    query = select(
        VaultTransaction.id,
        VaultTransaction.account_id,
        VaultTransaction.status,
        VaultTransaction.amount_ct,
        VaultTransaction.counterparty_ct,
        VaultTransaction.remittance_ct,
        VaultTransaction.location_ct,
        VaultTransaction.details_ct,
        VaultTransaction.annotation_ct,
        VaultTransaction.first_seen_at,
        VaultTransaction.updated_at,
    ).where(VaultTransaction.person_id == person_id)
    if account_ids is not None:
        query = query.where(VaultTransaction.account_id.in_(account_ids))
    return query.order_by(
        VaultTransaction.sort_date.desc().nulls_first(),
        VaultTransaction.first_seen_at.desc(),
        VaultTransaction.id.desc(),
    )


def _decrypt_transactions(cipher: PersonCipher, rows: Iterable[AnyRow]) -> list[StoredTransaction]:
    found = []
    open_ = cipher.open
    for row in rows:
        row_id = row.id
        groups = [
            open_(field, row_id, getattr(row, column)) for column, field, _ in TRANSACTION_GROUPS
        ]
        # One JSON document of all groups: decoding once is cheaper than five times.
        fields = [value for group in json_value(b"[" + b",".join(groups) + b"]") for value in group]
        annotation = (
            json_value(open_(ANNOTATION_FIELD, row_id, row.annotation_ct))
            if row.annotation_ct is not None
            else None
        )
        found.append(
            StoredTransaction(
                id=row_id,
                account_id=row.account_id,
                record=transaction_record(row.status, fields),
                annotation=annotation,
                first_seen_at=utc(row.first_seen_at),
                updated_at=utc(row.updated_at),
            )
        )
    return found
