"""The vault's service: the only way into or out of stored bank data.

Writes (keys, grants, bank data, annotations, events) join the caller's transaction, so
banking commits them together with its own rows. Reads run in a transaction of their own:
they check the person's grants for the resource and the purpose, decrypt, and append one
audit entry, which commits even when the read is refused.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bankchat.config import Settings
from bankchat.db import transaction
from bankchat.errors import NotFound
from bankchat.vault import audit
from bankchat.vault.crypto import (
    PersonCipher,
    VaultIntegrityError,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from bankchat.vault.denials import AccessDenied, DenialReason
from bankchat.vault.keys import (
    Keyring,
    MasterKey,
    UnknownMasterKeyError,
    begin_rotation,
    finish_rotation,
    load_keyring,
    new_master_key,
    parse_master_key,
)
from bankchat.vault.models import (
    VaultAccount,
    VaultBalances,
    VaultDataKey,
    VaultGrant,
    VaultTransaction,
    execute_many,
    insert_ignoring_conflict,
    table_of,
    utc,
)
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import (
    AccountDetails,
    AuditEntryView,
    Balance,
    ChainReport,
    StoredTransaction,
    SyncChanges,
    TransactionRecord,
    date_text,
    date_value,
    decimal_text,
)

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

SCOPES = frozenset({"balances", "transactions"})
DATA_KEY_VERSION = 1
DEFAULT_KEY_CACHE_SIZE = 1024
MAX_REASON_LENGTH = 200
MAX_ANNOTATION_LENGTH = 2000
# Actions only the vault's own reads may write, so an event can never pass for a read.
_READ_ACTIONS = frozenset({"read", "read_denied"})
_BATCH = 500
_WRITE_BATCH = 1000

_ACCOUNT_FIELD = "account.details"
_BALANCES_FIELD = "balances"
_AMOUNT_FIELD = "transaction.amount"
_COUNTERPARTY_FIELD = "transaction.counterparty"
_REMITTANCE_FIELD = "transaction.remittance"
_LOCATION_FIELD = "transaction.location"
_DETAILS_FIELD = "transaction.details"
_ANNOTATION_FIELD = "transaction.annotation"

T = TypeVar("T")
AnyRow = Row[*tuple[Any, ...]]


# -- plaintext forms -------------------------------------------------------------------


# ASCII escapes keep any str (even a lone surrogate from a bank's JSON) encodable; one
# encoder object, because building one per call costs more than encoding a small value.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def _json_bytes(value: Any) -> bytes:
    return _encode_json(value).encode("ascii")


def _json_strings(values: Sequence[str | None]) -> bytes:
    """The same bytes as ``_json_bytes`` for a list of strings and nulls, several times
    faster: transactions are encoded six times each, ten thousand at a time."""
    return (
        "["
        + ",".join([encode_basestring_ascii(v) if v is not None else "null" for v in values])
        + "]"
    ).encode("ascii")


_decode_json = json.JSONDecoder().decode


def _json_value(data: bytes) -> Any:
    return _decode_json(data.decode())


# A transaction's encrypted fields form one flat list; these slices of it are the
# ciphertext groups (each a compact JSON array), with their column and associated-data
# field name. Status is stored in clear.
_TRANSACTION_GROUPS = (
    ("amount_ct", _AMOUNT_FIELD, slice(0, 2)),  # amount, currency
    ("counterparty_ct", _COUNTERPARTY_FIELD, slice(2, 4)),  # name, IBAN
    ("remittance_ct", _REMITTANCE_FIELD, slice(4, 6)),  # remittance, merchant
    ("location_ct", _LOCATION_FIELD, slice(6, 9)),  # city, country, terminal id
    # key, booking/value/transaction date, transaction id, entry reference, mcc,
    # bank transaction code, masked PAN
    ("details_ct", _DETAILS_FIELD, slice(9, 18)),
)


def _transaction_fields(record: TransactionRecord) -> list[str | None]:
    return [
        decimal_text(record.amount),
        record.currency,
        record.counterparty_name,
        record.counterparty_iban,
        record.remittance,
        record.merchant,
        record.city,
        record.country,
        record.terminal_id,
        record.key,
        date_text(record.booking_date),
        date_text(record.value_date),
        date_text(record.transaction_date),
        record.transaction_id,
        record.entry_reference,
        record.mcc,
        record.bank_transaction_code,
        record.masked_pan,
    ]


def _transaction_record(status: Any, fields: list[Any]) -> TransactionRecord:
    return TransactionRecord(
        status=status,
        amount=Decimal(fields[0]),
        currency=fields[1],
        counterparty_name=fields[2],
        counterparty_iban=fields[3],
        remittance=fields[4],
        merchant=fields[5],
        city=fields[6],
        country=fields[7],
        terminal_id=fields[8],
        key=fields[9],
        booking_date=date_value(fields[10]),
        value_date=date_value(fields[11]),
        transaction_date=date_value(fields[12]),
        transaction_id=fields[13],
        entry_reference=fields[14],
        mcc=fields[15],
        bank_transaction_code=fields[16],
        masked_pan=fields[17],
    )


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


# -- grants ----------------------------------------------------------------------------


def _require_purpose(purpose: object) -> Purpose:
    if not isinstance(purpose, Purpose):
        raise TypeError(f"purpose must be a Purpose, not {type(purpose).__name__}")
    return purpose


def _grant_problem(
    grant: VaultGrant | None, scope: str | None, purpose: Purpose, today: date
) -> DenialReason | None:
    """Why ``grant`` does not allow reading ``scope`` for ``purpose``; None if it does."""
    if grant is None:
        return DenialReason.NO_GRANT
    if grant.revoked_at is not None:
        return DenialReason.REVOKED
    if grant.valid_until < today:
        return DenialReason.EXPIRED
    if scope is not None and scope not in grant.scopes:
        return DenialReason.SCOPE_NOT_GRANTED
    if purpose.value not in grant.purposes:
        return DenialReason.PURPOSE_NOT_GRANTED
    return None


@dataclass(frozen=True, slots=True)
class _Decision:
    """The grants a read may use, or why it is refused."""

    allowed: list[VaultGrant]
    reason: DenialReason | None = None
    account_id: str | None = None


def _decide(
    grants: dict[str, VaultGrant],
    requested: list[str] | None,
    scope: str | None,
    purpose: Purpose,
    today: date,
) -> _Decision:
    if requested is not None:
        allowed = []
        for account_id in requested:
            grant = grants.get(account_id)
            problem = _grant_problem(grant, scope, purpose, today)
            if problem is not None:
                return _Decision([], problem, account_id)
            assert grant is not None
            allowed.append(grant)
        return _Decision(allowed)
    # Revoked and expired grants are accounts the person no longer shares: they are left
    # out quietly. Only live grants that all refuse this read make it a refusal.
    live = {
        account_id: grant
        for account_id, grant in sorted(grants.items())
        if grant.revoked_at is None and grant.valid_until >= today
    }
    problems = {
        account_id: _grant_problem(grant, scope, purpose, today)
        for account_id, grant in live.items()
    }
    allowed = [live[account_id] for account_id, problem in problems.items() if problem is None]
    if live and not allowed:
        reasons = {problem for problem in problems.values() if problem is not None}
        reason = reasons.pop() if len(reasons) == 1 else DenialReason.NO_GRANT_ALLOWS_READ
        return _Decision([], reason)
    return _Decision(allowed)


# -- the vault -------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AccountsWithBalances:
    """What one read of accounts and balances hands out.

    ``balances`` holds only the accounts whose grant shares balances (an empty list where
    none are stored yet): an account listed without an entry there may not be read for
    its balances.
    """

    accounts: list[AccountDetails]
    balances: dict[str, list[Balance]]


@dataclass(frozen=True, slots=True)
class _CachedKey:
    wrapped: bytes
    cipher: PersonCipher


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
        self._keyring = keyring
        self._clock = clock
        self._key_cache_size = key_cache_size
        self._key_cache: OrderedDict[str, _CachedKey] = OrderedDict()

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
        return self._keyring

    # -- data keys ---------------------------------------------------------------------

    async def _cipher(
        self, session: AsyncSession, person_id: str, *, create: bool
    ) -> PersonCipher | None:
        """The person's cipher; a new data key if ``create`` and they have none."""
        query = select(
            VaultDataKey.version, VaultDataKey.wrapped, VaultDataKey.master_key_id
        ).where(VaultDataKey.person_id == person_id)
        row = (await session.execute(query)).one_or_none()
        if row is None and create:
            await self._create_data_key(session, person_id)
            row = (await session.execute(query)).one()
        if row is None:
            # Erased, possibly by another process: forget any copy of the old key.
            self._key_cache.pop(person_id, None)
            return None
        return self._cipher_of(person_id, row.version, row.wrapped, row.master_key_id)

    def _cipher_of(
        self, person_id: str, version: int, wrapped: bytes, master_key_id: str
    ) -> PersonCipher:
        """The cipher of the data key stored as ``wrapped`` (from the cache while the
        stored key is the one cached)."""
        cached = self._key_cache.get(person_id)
        if cached is not None and cached.wrapped == wrapped:
            self._key_cache.move_to_end(person_id)
            return cached.cipher
        master = self._keyring.get(master_key_id)
        data_key = unwrap_data_key(master, person_id, version, wrapped)
        cipher = PersonCipher(person_id, version, data_key)
        self._key_cache[person_id] = _CachedKey(wrapped, cipher)
        self._key_cache.move_to_end(person_id)
        while len(self._key_cache) > self._key_cache_size:
            self._key_cache.popitem(last=False)
        return cipher

    async def _create_data_key(self, session: AsyncSession, person_id: str) -> None:
        master = self._keyring.current
        values = {
            "person_id": person_id,
            "version": DATA_KEY_VERSION,
            "wrapped": wrap_data_key(master, person_id, DATA_KEY_VERSION, new_data_key()),
            "master_key_id": master.key_id,
            "created_at": self._clock(),
        }
        # Another transaction may create the key at the same moment; theirs then wins.
        dialect = session.get_bind().dialect.name
        await session.execute(
            insert_ignoring_conflict(dialect, VaultDataKey, values, ["person_id"])
        )

    async def _existing_cipher(self, session: AsyncSession, person_id: str) -> PersonCipher:
        cipher = await self._cipher(session, person_id, create=False)
        if cipher is None:
            raise VaultIntegrityError(f"person {person_id} has stored data but no data key")
        return cipher

    async def ensure_person_key(self, session: AsyncSession, person_id: str) -> None:
        """Give the person a data key unless they have one."""
        await self._cipher(session, person_id, create=True)

    async def rotate_configured_master_key(self, settings: Settings) -> int:
        """Move every data key to the new master key (see ``keys.begin_rotation``).

        The new key is on disk before the first re-wrap and the old one is replaced only
        after the commit, so a rotation cut short at any point loses nothing and resumes.
        Returns the number of data keys re-wrapped.
        """
        new = begin_rotation(settings)
        count = await self.rotate_master_key(new)
        finish_rotation(settings)
        return count

    async def rotate_master_key(self, new: MasterKey) -> int:
        """Re-wrap every data key under ``new`` in one transaction; the number re-wrapped.

        ``new`` becomes the current key first, so keys created meanwhile are wrapped
        under it; the old keys stay in the keyring for anything not yet re-wrapped.
        """
        self._keyring.promote(new)
        table = table_of(VaultDataKey)
        rewrap = (
            update(table)
            .where(table.c.person_id == bindparam("target"))
            .values(wrapped=bindparam("new_wrapped"), master_key_id=bindparam("new_key_id"))
        )
        count = 0
        async with transaction(self._sessions) as session:
            # Until no data key is left under another master key: that also catches keys
            # another process created under the old key while this rotation ran.
            while True:
                batch = (
                    await session.execute(
                        select(
                            VaultDataKey.person_id,
                            VaultDataKey.version,
                            VaultDataKey.wrapped,
                            VaultDataKey.master_key_id,
                        )
                        .where(VaultDataKey.master_key_id != new.key_id)
                        .order_by(VaultDataKey.person_id)
                        .limit(_BATCH)
                        .with_for_update()
                    )
                ).all()
                if not batch:
                    break
                changes = [
                    {
                        "target": row.person_id,
                        "new_wrapped": wrap_data_key(
                            new,
                            row.person_id,
                            row.version,
                            unwrap_data_key(
                                self._keyring.get(row.master_key_id),
                                row.person_id,
                                row.version,
                                row.wrapped,
                            ),
                        ),
                        "new_key_id": new.key_id,
                    }
                    for row in batch
                ]
                await session.execute(rewrap, changes)
                count += len(changes)
        return count

    # -- grants ------------------------------------------------------------------------

    async def grant(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        account_id: str,
        bank_id: str,
        scopes: frozenset[str],
        purposes: frozenset[Purpose],
        valid_until: date,
    ) -> None:
        """Record (or renew) what the person allowed for an account; clears a revocation."""
        unknown = set(scopes) - SCOPES
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        for purpose in purposes:
            _require_purpose(purpose)
        existing = await session.get(VaultGrant, account_id)
        if existing is None:
            session.add(
                VaultGrant(
                    account_id=account_id,
                    person_id=person_id,
                    bank_id=bank_id,
                    scopes=sorted(scopes),
                    purposes=sorted(p.value for p in purposes),
                    valid_until=valid_until,
                    revoked_at=None,
                    revoked_reason=None,
                    created_at=self._clock(),
                )
            )
            return
        if existing.person_id != person_id:
            raise ValueError(f"account {account_id} is granted by another person")
        existing.bank_id = bank_id
        existing.scopes = sorted(scopes)
        existing.purposes = sorted(p.value for p in purposes)
        existing.valid_until = valid_until
        existing.revoked_at = None
        existing.revoked_reason = None

    async def revoke(
        self,
        session: AsyncSession,
        *,
        person_id: str,
        account_ids: Sequence[str],
        reason: str,
        actor: str,
    ) -> None:
        """End the grants, delete the accounts' stored data, keep the grants as tombstones."""
        if len(reason) > MAX_REASON_LENGTH:
            raise ValueError(f"reason must be at most {MAX_REASON_LENGTH} characters")
        now = self._clock()
        grants = (
            await session.scalars(
                select(VaultGrant).where(
                    VaultGrant.person_id == person_id,
                    VaultGrant.account_id.in_(list(account_ids)),
                )
            )
        ).all()
        for grant in grants:
            grant.revoked_at = now
            grant.revoked_reason = reason
        owned = sorted(grant.account_id for grant in grants)
        for model in (VaultAccount, VaultBalances, VaultTransaction):
            await session.execute(
                delete(model).where(model.person_id == person_id, model.account_id.in_(owned))
            )
        await audit.append(
            session,
            person_id=person_id,
            actor=actor,
            action="revoke",
            purpose=None,
            what={
                "accounts": owned,
                "banks": sorted({grant.bank_id for grant in grants}),
                "reason": reason,
            },
            now=now,
        )

    async def _writable_grant(
        self, session: AsyncSession, person_id: str, account_id: str
    ) -> VaultGrant:
        """The person's unrevoked grant for the account: no grant, no storing."""
        grant = await session.get(VaultGrant, account_id)
        if grant is None or grant.person_id != person_id:
            raise AccessDenied("bank data", DenialReason.NO_GRANT, account_id)
        if grant.revoked_at is not None:
            raise AccessDenied("bank data", DenialReason.REVOKED, account_id)
        return grant

    # -- storing bank data -------------------------------------------------------------

    async def store_account(
        self, session: AsyncSession, person_id: str, details: AccountDetails
    ) -> None:
        """Store (or replace) an account's details, encrypted."""
        await self._writable_grant(session, person_id, details.account_id)
        cipher = await self._cipher(session, person_id, create=True)
        assert cipher is not None
        blob = cipher.seal(_ACCOUNT_FIELD, details.account_id, _json_bytes(details.as_json()))
        row = await session.get(VaultAccount, details.account_id)
        if row is None:
            session.add(
                VaultAccount(
                    account_id=details.account_id,
                    person_id=person_id,
                    key_version=cipher.key_version,
                    details=blob,
                    updated_at=self._clock(),
                )
            )
        else:
            row.key_version = cipher.key_version
            row.details = blob
            row.updated_at = self._clock()

    async def store_balances(
        self,
        session: AsyncSession,
        person_id: str,
        account_id: str,
        balances: Sequence[Balance],
    ) -> None:
        """Store (or replace) an account's balances, encrypted."""
        await self._writable_grant(session, person_id, account_id)
        cipher = await self._cipher(session, person_id, create=True)
        assert cipher is not None
        blob = cipher.seal(
            _BALANCES_FIELD, account_id, _json_bytes([b.as_json() for b in balances])
        )
        row = await session.get(VaultBalances, account_id)
        if row is None:
            session.add(
                VaultBalances(
                    account_id=account_id,
                    person_id=person_id,
                    key_version=cipher.key_version,
                    balances=blob,
                    fetched_at=self._clock(),
                )
            )
        else:
            row.key_version = cipher.key_version
            row.balances = blob
            row.fetched_at = self._clock()

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
        await self._writable_grant(session, person_id, account_id)
        cipher = await self._cipher(session, person_id, create=True)
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
            fields = _transaction_fields(record)
            content_digest = cipher.digest(
                "transaction.content", record.status.encode(), _json_strings(fields)
            )
            stored = existing.get(key_digest)
            if stored is not None and stored.content_digest == content_digest:
                unchanged += 1
                continue
            row_id = stored.id if stored is not None else str(uuid.uuid4())
            sealed = cipher.seal_row(
                row_id,
                [(field, _json_strings(fields[part])) for _, field, part in _TRANSACTION_GROUPS],
            )
            values: dict[str, Any] = {
                "key_version": cipher.key_version,
                "status": record.status,
                "sort_date": record.sort_date,
                "content_digest": content_digest,
                "updated_at": now,
            }
            for (column, _, _), blob in zip(_TRANSACTION_GROUPS, sealed, strict=True):
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
            cipher = await self._existing_cipher(session, person_id)
            sealed = cipher.seal(_ANNOTATION_FIELD, transaction_id, _json_bytes(text))
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
        await session.execute(delete(VaultDataKey).where(VaultDataKey.person_id == person_id))
        self._key_cache.pop(person_id, None)
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

    # -- reading -----------------------------------------------------------------------

    async def _audited_read(
        self,
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
        _require_purpose(purpose)
        if isinstance(account_ids, str):
            raise TypeError("account_ids must be a sequence of ids, not one string")
        requested = list(dict.fromkeys(account_ids)) if account_ids is not None else None
        now = self._clock()
        async with transaction(self._sessions) as session:
            grants = {
                grant.account_id: grant
                for grant in (
                    await session.scalars(
                        select(VaultGrant).where(VaultGrant.person_id == person_id)
                    )
                ).all()
            }
            decision = _decide(grants, requested, scope, purpose, now.date())
            if decision.reason is not None:
                what: dict[str, Any] = {
                    "resource": resource,
                    "accounts": requested if requested is not None else [],
                    **details,
                    "reason": decision.reason.value,
                }
                if decision.account_id is not None:
                    what["account"] = decision.account_id
                await audit.append(
                    session,
                    person_id=person_id,
                    actor=actor,
                    action="read_denied",
                    purpose=purpose,
                    what=what,
                    now=now,
                )
            else:
                result, count = await load(session, decision.allowed)
                await audit.append(
                    session,
                    person_id=person_id,
                    actor=actor,
                    action="read",
                    purpose=purpose,
                    what={
                        "resource": resource,
                        "accounts": [grant.account_id for grant in decision.allowed],
                        "banks": sorted({grant.bank_id for grant in decision.allowed}),
                        **details,
                        **(granted_details(decision.allowed) if granted_details else {}),
                        "count": count,
                    },
                    now=now,
                )
        if decision.reason is not None:
            raise AccessDenied(resource, decision.reason, decision.account_id)
        return result

    async def read_accounts(
        self, *, person_id: str, actor: str, purpose: Purpose
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
            cipher = await self._existing_cipher(session, person_id)
            accounts = [
                AccountDetails.from_json(
                    _json_value(cipher.open(_ACCOUNT_FIELD, row.account_id, row.details))
                )
                for row in rows
            ]
            return accounts, len(accounts)

        return await self._audited_read(
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
                cipher = await self._existing_cipher(session, person_id)
                for row in rows:
                    plain = cipher.open(_BALANCES_FIELD, row.account_id, row.balances)
                    result[row.account_id] = [Balance.from_json(b) for b in _json_value(plain)]
            return result, sum(len(balances) for balances in result.values())

        return await self._audited_read(
            person_id=person_id,
            actor=actor,
            purpose=purpose,
            resource="balances",
            scope="balances",
            account_ids=account_ids,
            load=load,
        )

    async def read_accounts_with_balances(
        self, *, person_id: str, actor: str, purpose: Purpose
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
                self._key_cache.pop(person_id, None)
                raise VaultIntegrityError(f"person {person_id} has stored data but no data key")
            cipher = self._cipher_of(person_id, key.version, key.wrapped, key.master_key_id)
            accounts = []
            balances: dict[str, list[Balance]] = {}
            shared = set(readable)
            for row in rows:
                accounts.append(
                    AccountDetails.from_json(
                        _json_value(cipher.open(_ACCOUNT_FIELD, row.account_id, row.details))
                    )
                )
                if row.account_id not in shared:
                    continue
                balances[row.account_id] = (
                    [
                        Balance.from_json(b)
                        for b in _json_value(
                            cipher.open(_BALANCES_FIELD, row.account_id, row.balances)
                        )
                    ]
                    if row.balances is not None
                    else []
                )
            count = len(accounts) + sum(len(found) for found in balances.values())
            return AccountsWithBalances(accounts, balances), count

        return await self._audited_read(
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
            cipher = await self._existing_cipher(session, person_id)
            found = _decrypt_transactions(cipher, rows)
            return found, len(found)

        return await self._audited_read(
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

    async def export_person(self, *, person_id: str, actor: str) -> dict[str, Any]:
        """Everything the vault holds for the person, decrypted into JSON-ready values.

        Grants are listed even when revoked or expired; their data is already gone.
        """
        now = self._clock()
        async with transaction(self._sessions) as session:
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
                cipher = await self._existing_cipher(session, person_id)
                accounts = [
                    _json_value(cipher.open(_ACCOUNT_FIELD, row.account_id, row.details))
                    for row in account_rows
                ]
                balances = {
                    row.account_id: _json_value(
                        cipher.open(_BALANCES_FIELD, row.account_id, row.balances)
                    )
                    for row in balance_rows
                }
                transactions = [
                    stored.as_json() for stored in _decrypt_transactions(cipher, transaction_rows)
                ]
            await audit.append(
                session,
                person_id=person_id,
                actor=actor,
                action="export",
                purpose=Purpose.USER_REQUEST,
                what={
                    "resource": "export",
                    "accounts": [row.account_id for row in account_rows],
                    "banks": sorted({grant.bank_id for grant in grants}),
                    "count": len(transactions),
                },
                now=now,
            )
        return {
            "grants": [_grant_json(grant) for grant in grants],
            "accounts": accounts,
            "balances": balances,
            "transactions": transactions,
        }

    async def access_log(
        self, *, person_id: str, limit: int | None = 50, before_seq: int | None = None
    ) -> list[AuditEntryView]:
        """The person's audit entries, newest first (``limit`` None: all of them)."""
        async with self._sessions() as session:
            return await audit.entries(session, person_id, limit=limit, before_seq=before_seq)

    async def verify_chain(self) -> ChainReport:
        """Verify every person's audit chain."""
        async with transaction(self._sessions) as session:
            return await audit.verify(session)


# -- transactions out of storage -------------------------------------------------------


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
            open_(field, row_id, getattr(row, column)) for column, field, _ in _TRANSACTION_GROUPS
        ]
        # One JSON document of all groups: decoding once is cheaper than five times.
        fields = [
            value for group in _json_value(b"[" + b",".join(groups) + b"]") for value in group
        ]
        annotation = (
            _json_value(open_(_ANNOTATION_FIELD, row_id, row.annotation_ct))
            if row.annotation_ct is not None
            else None
        )
        found.append(
            StoredTransaction(
                id=row_id,
                account_id=row.account_id,
                record=_transaction_record(row.status, fields),
                annotation=annotation,
                first_seen_at=utc(row.first_seen_at),
                updated_at=utc(row.updated_at),
            )
        )
    return found
