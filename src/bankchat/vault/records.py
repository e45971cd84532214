"""The public shapes of bank data going into and coming out of the vault.

Plain frozen dataclasses with no knowledge of encryption or tables. Each bank record also
knows its JSON form (amounts as decimal strings such as "12.50", dates ISO 8601), which the
vault encrypts at rest and hands out in exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from bankchat.vault.purposes import Purpose

AccountKind = Literal["checking", "savings", "credit_card", "other"]
TransactionStatus = Literal["booked", "pending"]


def decimal_text(amount: Decimal) -> str:
    """``amount`` as a plain decimal string, never in scientific notation."""
    return format(amount, "f")


def date_text(value: date | None) -> str | None:
    """``value`` in ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def date_value(value: Any) -> date | None:
    """The date an ISO 8601 text (or None) stands for."""
    return date.fromisoformat(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """What the bank says about one linked account."""

    account_id: str
    bank_id: str
    iban: str | None
    masked_pan: str | None
    name: str | None
    product: str | None
    currency: str
    kind: str
    owner_name: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "bank_id": self.bank_id,
            "iban": self.iban,
            "masked_pan": self.masked_pan,
            "name": self.name,
            "product": self.product,
            "currency": self.currency,
            "kind": self.kind,
            "owner_name": self.owner_name,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountDetails:
        return cls(
            account_id=data["account_id"],
            bank_id=data["bank_id"],
            iban=data["iban"],
            masked_pan=data["masked_pan"],
            name=data["name"],
            product=data["product"],
            currency=data["currency"],
            kind=data["kind"],
            owner_name=data["owner_name"],
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """One balance of an account as the bank reported it."""

    balance_type: str
    amount: Decimal
    currency: str
    reference_date: date | None
    credit_limit_included: bool | None

    def as_json(self) -> dict[str, Any]:
        return {
            "balance_type": self.balance_type,
            "amount": decimal_text(self.amount),
            "currency": self.currency,
            "reference_date": date_text(self.reference_date),
            "credit_limit_included": self.credit_limit_included,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Balance:
        return cls(
            balance_type=data["balance_type"],
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            reference_date=date_value(data["reference_date"]),
            credit_limit_included=data["credit_limit_included"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionRecord:
    """One transaction as the bank reported it.

    ``key`` identifies the transaction across syncs (banking derives it from the
    transactionId, else the entryReference, else a hash of the booking fields).
    Keyword-only, so the many optional fields can simply be left out.
    """

    key: str
    status: TransactionStatus
    booking_date: date | None = None
    value_date: date | None = None
    transaction_date: date | None = None
    amount: Decimal
    currency: str
    transaction_id: str | None = None
    entry_reference: str | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    remittance: str | None = None
    merchant: str | None = None
    mcc: str | None = None
    bank_transaction_code: str | None = None
    city: str | None = None
    country: str | None = None
    masked_pan: str | None = None
    terminal_id: str | None = None

    @property
    def sort_date(self) -> date | None:
        """The date the transaction sorts and filters by."""
        return self.booking_date or self.value_date or self.transaction_date

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "booking_date": date_text(self.booking_date),
            "value_date": date_text(self.value_date),
            "transaction_date": date_text(self.transaction_date),
            "amount": decimal_text(self.amount),
            "currency": self.currency,
            "transaction_id": self.transaction_id,
            "entry_reference": self.entry_reference,
            "counterparty_name": self.counterparty_name,
            "counterparty_iban": self.counterparty_iban,
            "remittance": self.remittance,
            "merchant": self.merchant,
            "mcc": self.mcc,
            "bank_transaction_code": self.bank_transaction_code,
            "city": self.city,
            "country": self.country,
            "masked_pan": self.masked_pan,
            "terminal_id": self.terminal_id,
        }


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """A transaction as the vault holds it: the bank's record plus the platform's own data."""

    id: str
    account_id: str
    record: TransactionRecord
    annotation: str | None
    first_seen_at: datetime
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            **self.record.as_json(),
            "annotation": self.annotation,
            "first_seen_at": self.first_seen_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class SyncChanges:
    """What one ``apply_transactions`` call changed."""

    added: int
    modified: int
    removed: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class AuditEntryView:
    """One entry of a person's audit chain."""

    seq: int
    person_id: str
    at: datetime
    actor: str
    action: str
    purpose: Purpose | None
    what: dict[str, Any]
    entry_hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of verifying every audit chain.

    ``first_broken`` is (person id, seq) of the first entry that does not verify, in
    (person id, seq) order; ``reason`` says why.
    """

    ok: bool
    entries_checked: int
    chains_checked: int
    first_broken: tuple[str, int] | None
    reason: str | None
