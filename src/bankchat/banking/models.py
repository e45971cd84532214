"""Tables of the banking domain: connections (a person's consent at a bank), the accounts
each grants, link attempts in flight, and webhook events already handled.

Nothing here is bank data: balances, transactions and account details live encrypted in
the vault. What stays in clear is what the platform needs to call the bank (the bank's
consent and account ids) and the consent's terms.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bankchat.db import Base, UtcDateTime


class ConnectionStatus(StrEnum):
    """Where a connection stands; only ``valid`` allows reads at the bank."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED_BY_PSU = "revokedByPsu"
    TERMINATED_BY_TPP = "terminatedByTpp"


class RevokedBy(StrEnum):
    PERSON = "person"
    BANK = "bank"
    EXPIRY = "expiry"


class Connection(Base):
    """One consent a person gave at one bank, standard-neutral."""

    __tablename__ = "bank_connections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    bank_id: Mapped[str] = mapped_column(String(32))
    # Purged once the bank confirmed the deletion; kept until then so it can be retried.
    external_consent_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    valid_until: Mapped[date] = mapped_column(Date)
    frequency_per_day: Mapped[int] = mapped_column(Integer)
    uses_date: Mapped[date | None] = mapped_column(Date)
    uses: Mapped[dict[str, Any]] = mapped_column(JSON)
    authorised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(10))
    bank_deletion_pending: Mapped[bool] = mapped_column(default=False)
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_sync_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    accounts: Mapped[list[LinkedAccount]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", lazy="selectin"
    )


class LinkedAccount(Base):
    """An account the bank granted under a connection; its id is the vault's account id."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        UniqueConstraint("connection_id", "external_id"),
        Index("ix_bank_accounts_bank_external", "bank_id", "external_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    connection_id: Mapped[str] = mapped_column(
        ForeignKey("bank_connections.id", ondelete="CASCADE")
    )
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    bank_id: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    kind_path: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # Transactions up to this date are known; the next sync re-reads a window before it.
    synced_through: Mapped[date | None] = mapped_column(Date)
    last_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    connection: Mapped[Connection] = relationship(back_populates="accounts")


class LinkAttempt(Base):
    """A consent sent to the bank's login and not yet back; gone when it ends either way."""

    __tablename__ = "bank_link_attempts"

    state_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    bank_id: Mapped[str] = mapped_column(String(32))
    external_consent_id: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    valid_until: Mapped[date] = mapped_column(Date)
    frequency_per_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class WebhookEvent(Base):
    """A bank event already accepted, so a replayed delivery is recognised."""

    __tablename__ = "bank_webhook_events"

    bank_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
