"""The vault's tables: wrapped data keys, grants, encrypted bank data and the audit chain.

Only what range queries and bookkeeping need is stored in clear (ids, status, the date a
transaction sorts by); every amount, name, text and location is a ciphertext. Nothing here
refers to another domain's tables, so erasing a person's bank data never touches the audit
chain and the chain never blocks an erasure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.types import TypeEngine

from bankchat.db import Base

ID_LENGTH = 36
HASH_LENGTH = 64


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite hands stored datetimes back naive)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def table_of(model: type[Base]) -> Table:
    """The Core table of ``model``, for bulk statements that skip the ORM."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _bind_converter(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """Core's conversion of a value of ``type_`` for the driver, if it needs one."""
    if isinstance(type_, LargeBinary):
        return None  # the drivers take bytes as they are
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    # Rows of one batch share values such as "now"; convert each distinct object once.
    last_value: Any = object()
    last_result: Any = None

    def convert(value: Any) -> Any:
        nonlocal last_value, last_result
        if value is not last_value:
            last_value, last_result = value, process(value)
        return last_result

    return convert


async def execute_many(
    session: AsyncSession, statement: Insert | Update, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``statement`` once per row (all rows with the same keys), cheaply.

    Core's generic per-row parameter handling costs more than SQLite spends inserting the
    row, so for positional drivers (sqlite3, asyncpg) the statement is compiled once and
    the rows go to the driver as tuples, converted by the same bind processors Core uses.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    names = compiled.positiontup
    if not dialect.positional or names is None:
        await session.execute(statement, list(rows))
        return
    plan = [(name, _bind_converter(compiled.binds[name].type, dialect)) for name in names]
    parameters = [
        tuple([row[name] if convert is None else convert(row[name]) for name, convert in plan])
        for row in rows
    ]
    await connection.exec_driver_sql(compiled.string, parameters)


def insert_ignoring_conflict(
    dialect_name: str, model: type[Base], values: Mapping[str, Any], keys: Sequence[str]
) -> Insert:
    """An INSERT that does nothing when a row with the same ``keys`` already exists."""
    if dialect_name == "postgresql":
        return (
            postgresql.insert(model)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=keys)
        )
    if dialect_name == "sqlite":
        return sqlite.insert(model).values(dict(values)).on_conflict_do_nothing(index_elements=keys)
    raise NotImplementedError(f"the vault does not support the {dialect_name} dialect")


class VaultDataKey(Base):
    """A person's data key, wrapped under a master key. Deleting it shreds their data."""

    __tablename__ = "vault_data_keys"

    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VaultGrant(Base):
    """What the person allowed for one linked account: resources, purposes, until when.

    A revoked grant stays as a tombstone, so a later read is refused with a reason.
    """

    __tablename__ = "vault_grants"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    valid_until: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VaultAccount(Base):
    """The encrypted details of one linked account."""

    __tablename__ = "vault_accounts"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    key_version: Mapped[int] = mapped_column(Integer)
    details: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VaultBalances(Base):
    """The encrypted latest balances of one linked account."""

    __tablename__ = "vault_balances"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    key_version: Mapped[int] = mapped_column(Integer)
    balances: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VaultTransaction(Base):
    """One transaction: status and sort date in clear, everything else in ciphertext groups.

    ``key_digest`` and ``content_digest`` are keyed digests, so a sync can find a known
    transaction and see whether it changed without decrypting anything.
    """

    __tablename__ = "vault_transactions"
    __table_args__ = (
        UniqueConstraint("account_id", "key_digest"),
        Index("ix_vault_transactions_account_sort", "account_id", "sort_date"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    key_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(7))
    sort_date: Mapped[date | None] = mapped_column(Date)
    key_digest: Mapped[bytes] = mapped_column(LargeBinary)
    content_digest: Mapped[bytes] = mapped_column(LargeBinary)
    amount_ct: Mapped[bytes] = mapped_column(LargeBinary)
    counterparty_ct: Mapped[bytes] = mapped_column(LargeBinary)
    remittance_ct: Mapped[bytes] = mapped_column(LargeBinary)
    location_ct: Mapped[bytes] = mapped_column(LargeBinary)
    details_ct: Mapped[bytes] = mapped_column(LargeBinary)
    annotation_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One link of a person's audit chain: who did what to whose data, why, and when."""

    __tablename__ = "audit_entries"

    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(32))
    what: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    entry_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditHead(Base):
    """The newest entry of a person's chain; its row is locked while appending."""

    __tablename__ = "audit_heads"

    person_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
