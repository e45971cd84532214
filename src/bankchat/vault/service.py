"""The vault's service: the only way into or out of stored bank data.

``Vault`` is the one object the rest of the platform holds; it composes the vault's parts
and forwards to them:

- ``data_keys``: the per-person data keys (their cache, creation, master key rotation);
- ``grants``: what the person allowed per account, and the decision whether a read may go;
- ``store``: storing account details, balances, transactions, notes, events; erasure;
- ``reads``: the audited reads and the export;
- ``audit``: the audit chain the person sees (``access_log``) and its verification.

Every call that writes or reads bank data takes the caller's unit of work (``uow.Tx``):
writes (keys, grants, bank data, annotations, events) commit together with the caller's
own rows, and a read checks the person's grants for the resource and the purpose,
decrypts, and appends one audit entry in the same transaction. If that transaction rolls
back, the read's entry is written again in one of its own: a read that happened is
always in the log, a refused one included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.config import Settings
from bankchat.db import transaction
from bankchat.uow import Tx
from bankchat.vault import audit
from bankchat.vault.crypto import VaultIntegrityError
from bankchat.vault.data_keys import DEFAULT_KEY_CACHE_SIZE, DataKeys
from bankchat.vault.denials import AccessDenied, DenialReason
from bankchat.vault.grants import Grants
from bankchat.vault.keys import (
    Keyring,
    MasterKey,
    UnknownMasterKeyError,
    load_keyring,
    new_master_key,
    parse_master_key,
)
from bankchat.vault.purposes import Purpose
from bankchat.vault.reads import AccountsWithBalances, AuditedReads
from bankchat.vault.records import (
    AccountDetails,
    AuditEntryView,
    Balance,
    ChainReport,
    StoredTransaction,
    SyncChanges,
    TransactionRecord,
)
from bankchat.vault.store import BankDataStore

# Callers outside the vault may not import its crypto or key modules; what they need to
# construct a vault, rotate keys or catch its errors is re-exported here.
__all__ = [
    "AccessDenied",
    "AccountsWithBalances",
    "DenialReason",
    "Keyring",
    "MasterKey",
    "UnknownMasterKeyError",
    "Vault",
    "VaultIntegrityError",
    "new_master_key",
    "parse_master_key",
]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Vault:
    """Stores bank data encrypted per person and hands it out only for a granted purpose."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        keyring: Keyring,
        *,
        clock: Callable[[], datetime] = _utc_now,
        key_cache_size: int = DEFAULT_KEY_CACHE_SIZE,
    ) -> None:
        self._sessions = sessions
        self._keys = DataKeys(sessions, keyring, clock=clock, cache_size=key_cache_size)
        self._grants = Grants(clock=clock)
        self._store = BankDataStore(self._keys, self._grants, clock=clock)
        self._reads = AuditedReads(sessions, self._keys, clock=clock)

    @classmethod
    def from_settings(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Vault:
        """A vault using the configured master key (or the data directory's key file)."""
        return cls(sessions, load_keyring(settings), clock=clock)

    @property
    def keyring(self) -> Keyring:
        return self._keys.keyring

    # -- data keys ---------------------------------------------------------------------

    async def ensure_person_key(self, tx: Tx, person_id: str) -> None:
        """Give the person a data key unless they have one."""
        await self._keys.cipher(tx.session, person_id, create=True)

    async def rotate_configured_master_key(self, settings: Settings) -> int:
        """Move every data key to the new master key; the number re-wrapped."""
        return await self._keys.rotate_configured_master_key(settings)

    async def rotate_master_key(self, new: MasterKey) -> int:
        """Re-wrap every data key under ``new`` in one transaction; the number re-wrapped."""
        return await self._keys.rotate_master_key(new)

    # -- grants ------------------------------------------------------------------------

    async def grant(
        self,
        tx: Tx,
        *,
        person_id: str,
        account_id: str,
        bank_id: str,
        scopes: frozenset[str],
        purposes: frozenset[Purpose],
        valid_until: date,
    ) -> None:
        """Record (or renew) what the person allowed for an account; clears a revocation."""
        await self._grants.grant(
            tx.session,
            person_id=person_id,
            account_id=account_id,
            bank_id=bank_id,
            scopes=scopes,
            purposes=purposes,
            valid_until=valid_until,
        )

    async def revoke(
        self,
        tx: Tx,
        *,
        person_id: str,
        account_ids: Sequence[str],
        reason: str,
        actor: str,
    ) -> None:
        """End the grants, delete the accounts' stored data, keep the grants as tombstones."""
        await self._grants.revoke(
            tx.session, person_id=person_id, account_ids=account_ids, reason=reason, actor=actor
        )

    # -- storing bank data -------------------------------------------------------------

    async def store_account(self, tx: Tx, person_id: str, details: AccountDetails) -> None:
        """Store (or replace) an account's details, encrypted."""
        await self._store.store_account(tx.session, person_id, details)

    async def store_balances(
        self,
        tx: Tx,
        person_id: str,
        account_id: str,
        balances: Sequence[Balance],
    ) -> None:
        """Store (or replace) an account's balances, encrypted."""
        await self._store.store_balances(tx.session, person_id, account_id, balances)

    async def apply_transactions(
        self,
        tx: Tx,
        *,
        person_id: str,
        account_id: str,
        records: Sequence[TransactionRecord],
        window_from: date | None,
    ) -> SyncChanges:
        """Bring the account's stored transactions in line with what the bank reported."""
        return await self._store.apply_transactions(
            tx.session,
            person_id=person_id,
            account_id=account_id,
            records=records,
            window_from=window_from,
        )

    async def annotate(
        self,
        tx: Tx,
        *,
        person_id: str,
        transaction_id: str,
        text: str | None,
        actor: str,
    ) -> None:
        """Set or clear the person's note on one of their transactions."""
        await self._store.annotate(
            tx.session, person_id=person_id, transaction_id=transaction_id, text=text, actor=actor
        )

    async def record_event(
        self,
        tx: Tx,
        *,
        person_id: str,
        actor: str,
        action: str,
        what: dict[str, Any],
    ) -> None:
        """Append an entry that is not a read (link, sync, export ...) to the person's chain."""
        await self._store.record_event(
            tx.session, person_id=person_id, actor=actor, action=action, what=what
        )

    async def erase_person(self, tx: Tx, *, person_id: str, actor: str) -> None:
        """Shred the person's data key, then delete all their vault rows (not the audit)."""
        await self._store.erase_person(tx.session, person_id=person_id, actor=actor)

    # -- reading -----------------------------------------------------------------------

    async def read_accounts(
        self, tx: Tx, *, person_id: str, actor: str, purpose: Purpose
    ) -> list[AccountDetails]:
        """The details of every account whose live grant allows ``purpose``."""
        return await self._reads.read_accounts(
            tx, person_id=person_id, actor=actor, purpose=purpose
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
        return await self._reads.read_balances(
            tx, person_id=person_id, actor=actor, purpose=purpose, account_ids=account_ids
        )

    async def read_accounts_with_balances(
        self, tx: Tx, *, person_id: str, actor: str, purpose: Purpose
    ) -> AccountsWithBalances:
        """``read_accounts`` and the balances of those accounts whose grant shares them, in
        one transaction with one audit entry."""
        return await self._reads.read_accounts_with_balances(
            tx, person_id=person_id, actor=actor, purpose=purpose
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
        """Transactions newest first, optionally within [date_from, date_to] (inclusive)."""
        return await self._reads.read_transactions(
            tx,
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            account_ids=account_ids,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
        )

    async def export_person(self, tx: Tx, *, person_id: str, actor: str) -> dict[str, Any]:
        """Everything the vault holds for the person, decrypted into JSON-ready values."""
        return await self._reads.export_person(tx, person_id=person_id, actor=actor)

    # -- the audit chain ---------------------------------------------------------------

    async def access_log(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        limit: int | None = 50,
        before_seq: int | None = None,
    ) -> list[AuditEntryView]:
        """The person's audit entries, newest first (``limit`` None: all of them)."""
        return await audit.entries(session, person_id, limit=limit, before_seq=before_seq)

    async def verify_chain(self) -> ChainReport:
        """Verify every person's audit chain."""
        async with transaction(self._sessions) as session:
            return await audit.verify(session)
