"""Storing bank data: account details, balances and transactions sealed under the
person's data key, notes on transactions, events in the audit chain, and erasure.

Every write joins the caller's transaction and needs the person's unrevoked grant for the
account; the first write for a person creates their data key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.errors import NotFound
from bankchat.vault import audit
from bankchat.vault.data_keys import DataKeys
from bankchat.vault.grants import Grants
from bankchat.vault.models import (
    VaultAccount,
    VaultBalances,
    VaultGrant,
    VaultTransaction,
    execute_many,
    table_of,
)
from bankchat.vault.plaintext import (
    ACCOUNT_FIELD,
    ANNOTATION_FIELD,
    BALANCES_FIELD,
    TRANSACTION_GROUPS,
    json_bytes,
    json_strings,
    transaction_fields,
)
from bankchat.vault.records import AccountDetails, Balance, SyncChanges, TransactionRecord

MAX_ANNOTATION_LENGTH = 2000
# Actions only the vault's own reads may write, so an event can never pass for a read.
_READ_ACTIONS = frozenset({"read", "read_denied"})
_BATCH = 500
_WRITE_BATCH = 1000


class BankDataStore:
    """Writes the person's bank data, encrypted, inside the caller's transaction."""

    def __init__(self, keys: DataKeys, grants: Grants, *, clock: Callable[[], datetime]) -> None:
        self._keys = keys
        self._grants = grants
        self._clock = clock

    async def store_account(
        self, session: AsyncSession, person_id: str, details: AccountDetails
    ) -> None:
        """Store (or replace) an account's details, encrypted."""
        await self._store_sealed(
            session,
            person_id,
            details.account_id,
            ACCOUNT_FIELD,
            details.as_json(),
            VaultAccount,
            sealed_column="details",
            stamp_column="updated_at",
        )

    async def store_balances(
        self,
        session: AsyncSession,
        person_id: str,
        account_id: str,
        balances: Sequence[Balance],
    ) -> None:
        """Store (or replace) an account's balances, encrypted."""
        await self._store_sealed(
            session,
            person_id,
            account_id,
            BALANCES_FIELD,
            [b.as_json() for b in balances],
            VaultBalances,
            sealed_column="balances",
            stamp_column="fetched_at",
        )

    async def _store_sealed(
        self,
        session: AsyncSession,
        person_id: str,
        account_id: str,
        field: str,
        value: Any,
        model: type[VaultAccount] | type[VaultBalances],
        *,
        sealed_column: str,
        stamp_column: str,
    ) -> None:
        """Seal ``value`` (as JSON) under ``field`` for the account and put it in the
        account's row of ``model`` (one row per account, created or replaced), with the
        data key's version and the time in ``stamp_column``."""
        await self._grants.writable_grant(session, person_id, account_id)
        cipher = await self._keys.cipher(session, person_id, create=True)
        assert cipher is not None
        blob = cipher.seal(field, account_id, json_bytes(value))
        values = {
            "key_version": cipher.key_version,
            sealed_column: blob,
            stamp_column: self._clock(),
        }
        row = await session.get(model, account_id)
        if row is None:
            session.add(model(account_id=account_id, person_id=person_id, **values))
        else:
            for column, column_value in values.items():
                setattr(row, column, column_value)

    async def apply_transactions(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        account_id: str,
        records: Sequence[TransactionRecord],
        window_from: date | None,
    ) -> SyncChanges:
        """Bring the account's stored transactions in line with what the bank reported.

        New keys are added; known keys whose content changed are updated in place (same
        id, annotation kept); stored rows dated from ``window_from`` on (all rows if None)
        that the bank no longer reports are removed. A key repeated in ``records`` counts
        once, with its last record.
        """
        await self._grants.writable_grant(session, person_id, account_id)
        cipher = await self._keys.cipher(session, person_id, create=True)
        assert cipher is not None
        latest = {record.key: record for record in records}
        existing = {
            row.key_digest: row
            for row in (
                await session.execute(
                    select(
                        VaultTransaction.id,
                        VaultTransaction.key_digest,
                        VaultTransaction.content_digest,
                        VaultTransaction.sort_date,
                    ).where(VaultTransaction.account_id == account_id)
                )
            ).all()
        }
        now = self._clock()
        account_part = account_id.encode()
        table = table_of(VaultTransaction)
        insert_rows = insert(table)
        update_rows = update(table).where(table.c.id == bindparam("target"))
        added: list[dict[str, Any]] = []
        modified: list[dict[str, Any]] = []
        counts = {"added": 0, "modified": 0}
        reported: set[bytes] = set()
        unchanged = 0

        async def write_pending() -> None:
            # Written in batches, so a large sync never holds every encrypted row in memory
            # at once (which also keeps the garbage collector's full passes rare).
            await execute_many(session, insert_rows, added)
            await execute_many(session, update_rows, modified)
            counts["added"] += len(added)
            counts["modified"] += len(modified)
            added.clear()
            modified.clear()

        for record in latest.values():
            key_digest = cipher.digest("transaction.key", account_part, record.key.encode())
            reported.add(key_digest)
            fields = transaction_fields(record)
            content_digest = cipher.digest(
                "transaction.content", record.status.encode(), json_strings(fields)
            )
            stored = existing.get(key_digest)
            if stored is not None and stored.content_digest == content_digest:
                unchanged += 1
                continue
            row_id = stored.id if stored is not None else str(uuid.uuid4())
            sealed = cipher.seal_row(
                row_id,
                [(field, json_strings(fields[part])) for _, field, part in TRANSACTION_GROUPS],
            )
            values: dict[str, Any] = {
                "key_version": cipher.key_version,
                "status": record.status,
                "sort_date": record.sort_date,
                "content_digest": content_digest,
                "updated_at": now,
            }
            for (column, _, _), blob in zip(TRANSACTION_GROUPS, sealed, strict=True):
                values[column] = blob
            if stored is None:
                values.update(
                    id=row_id,
                    person_id=person_id,
                    account_id=account_id,
                    key_digest=key_digest,
                    annotation_ct=None,
                    first_seen_at=now,
                )
                added.append(values)
            else:
                values["target"] = row_id
                modified.append(values)
            if len(added) + len(modified) >= _WRITE_BATCH:
                await write_pending()
        await write_pending()
        gone = [
            row.id
            for digest, row in existing.items()
            if digest not in reported
            and (window_from is None or row.sort_date is None or row.sort_date >= window_from)
        ]
        for start in range(0, len(gone), _BATCH):
            await session.execute(delete(table).where(table.c.id.in_(gone[start : start + _BATCH])))
        return SyncChanges(
            added=counts["added"],
            modified=counts["modified"],
            removed=len(gone),
            unchanged=unchanged,
        )

    async def annotate(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        transaction_id: str,
        text: str | None,
        actor: str,
    ) -> None:
        """Set or clear the person's note on one of their transactions."""
        if text is not None and len(text) > MAX_ANNOTATION_LENGTH:
            raise ValueError(f"a note must be at most {MAX_ANNOTATION_LENGTH} characters")
        row = (
            await session.execute(
                select(VaultTransaction.account_id).where(
                    VaultTransaction.id == transaction_id,
                    VaultTransaction.person_id == person_id,
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No such transaction.")
        sealed = None
        if text is not None:
            cipher = await self._keys.existing_cipher(session, person_id)
            sealed = cipher.seal(ANNOTATION_FIELD, transaction_id, json_bytes(text))
        await session.execute(
            update(table_of(VaultTransaction))
            .where(table_of(VaultTransaction).c.id == transaction_id)
            .values(annotation_ct=sealed)
        )
        await audit.append(
            session,
            person_id=person_id,
            actor=actor,
            action="annotate",
            purpose=None,
            what={"transaction": transaction_id, "accounts": [row.account_id]},
            now=self._clock(),
        )

    async def record_event(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        actor: str,
        action: str,
        what: dict[str, Any],
    ) -> None:
        """Append an entry that is not a read (link, sync, export ...) to the person's chain."""
        if action in _READ_ACTIONS:
            raise ValueError(f"{action!r} entries are written by the vault's reads only")
        await audit.append(
            session,
            person_id=person_id,
            actor=actor,
            action=action,
            purpose=None,
            what=what,
            now=self._clock(),
        )

    async def erase_person(self, session: AsyncSession, *, person_id: str, actor: str) -> None:
        """Shred the person's data key, then delete all their vault rows (not the audit)."""
        await self._keys.shred(session, person_id)
        accounts = (
            await session.scalars(
                select(VaultGrant.account_id)
                .where(VaultGrant.person_id == person_id)
                .order_by(VaultGrant.account_id)
            )
        ).all()
        for model in (VaultTransaction, VaultBalances, VaultAccount, VaultGrant):
            await session.execute(delete(model).where(model.person_id == person_id))
        await audit.append(
            session,
            person_id=person_id,
            actor=actor,
            action="erase",
            purpose=None,
            what={"accounts": list(accounts)},
            now=self._clock(),
        )
