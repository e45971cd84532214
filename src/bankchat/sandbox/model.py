"""The sandbox bank's records: banks, customers, accounts, cards and transactions.

Amounts are ``Decimal`` and signed from the account holder's view (a debit is negative).
Fraud labels live on the transaction for training and evaluation and are never put on
the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum


class AccountKind(StrEnum):
    """What an account is for."""

    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"


class BookingStatus(StrEnum):
    """Whether a transaction has been booked or is still pending."""

    BOOKED = "booked"
    PENDING = "pending"


class Category(StrEnum):
    """Spending categories, the closed list of DESIGN.md."""

    GROCERIES = "groceries"
    RESTAURANTS = "restaurants"
    TRANSPORT = "transport"
    SHOPPING = "shopping"
    ENTERTAINMENT = "entertainment"
    TRAVEL = "travel"
    UTILITIES = "utilities"
    RENT = "rent"
    HEALTH = "health"
    CASH = "cash"
    INCOME = "income"
    OTHER = "other"


class FraudPattern(StrEnum):
    """The three injected fraud patterns."""

    AMOUNT_OUTLIER = "amount_outlier"
    COMPROMISED_TERMINAL = "compromised_terminal"
    COMPROMISED_CARD = "compromised_card"


@dataclass(slots=True, frozen=True)
class Bank:
    """A fictional bank served under ``/banks/<id>``."""

    id: str
    name: str
    country: str
    currency: str
    bic: str
    bank_code: str
    language: str
    primary_color: str
    accent_color: str


@dataclass(slots=True, frozen=True)
class Address:
    """A postal address."""

    street: str
    building_number: str
    postcode: str
    town: str
    country: str


@dataclass(slots=True)
class Customer:
    """A person who banks at one sandbox bank and logs in to its online banking."""

    id: str
    bank_id: str
    login: str
    password: str
    first_name: str
    last_name: str
    address: Address
    language: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True)
class Account:
    """A checking, savings or credit card account.

    ``credit_limit`` is how far the booked balance may go below zero: the overdraft of a
    checking account or the limit of a credit card.
    """

    id: str
    bank_id: str
    customer_id: str
    kind: AccountKind
    currency: str
    product: str
    name: str
    iban: str | None = None
    bban: str | None = None
    masked_pan: str | None = None
    credit_limit: Decimal = Decimal("0")
    opened: date = date(2020, 1, 1)

    @property
    def is_card_account(self) -> bool:
        return self.kind is AccountKind.CREDIT_CARD


@dataclass(slots=True)
class Card:
    """A payment card drawing on an account (a debit card on checking, or the credit card)."""

    id: str
    account_id: str
    pan: str
    masked_pan: str
    expiry: date
    blocked: bool = False
    blocked_at: datetime | None = None
    block_reason: str | None = None


@dataclass(slots=True)
class Transaction:
    """One entry on an account as the customer sees it."""

    id: str
    account_id: str
    entry_reference: str
    amount: Decimal
    currency: str
    status: BookingStatus
    value_date: date
    booking_date: date | None
    category: Category
    transaction_date: date | None = None
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    merchant: str | None = None
    remittance: str | None = None
    city: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    mcc: str | None = None
    terminal_id: str | None = None
    card_id: str | None = None
    bank_transaction_code: str | None = None
    # Sandbox-internal label, never serialised by the PSD2 API.
    fraud: FraudPattern | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def sort_date(self) -> date:
        """The date the transaction is listed under: booking date, else value date."""
        return self.booking_date or self.value_date


class ConsentStatus(StrEnum):
    """NextGenPSD2 consentStatus values the sandbox uses."""

    RECEIVED = "received"
    VALID = "valid"
    REJECTED = "rejected"
    REVOKED_BY_PSU = "revokedByPsu"
    EXPIRED = "expired"
    TERMINATED_BY_TPP = "terminatedByTpp"


class ScaStatus(StrEnum):
    """NextGenPSD2 scaStatus values of the redirect flow."""

    RECEIVED = "received"
    STARTED = "started"
    FINALISED = "finalised"
    FAILED = "failed"


@dataclass(slots=True)
class Consent:
    """An AIS consent: which accounts a TPP may read, how often, until when.

    ``access`` is the request's ``access`` object as received (it is echoed back on GET);
    the ``*_account_ids`` sets are what it resolved to once the customer approved.
    """

    id: str
    bank_id: str
    access: dict[str, object]
    recurring: bool
    valid_until: date
    frequency_per_day: int
    combined: bool
    status: ConsentStatus
    sca_status: ScaStatus
    created_at: datetime
    last_action_date: date
    redirect_uri: str | None
    nok_redirect_uri: str | None
    authorisation_id: str
    customer_id: str | None = None
    account_ids: set[str] = field(default_factory=set)
    balance_account_ids: set[str] = field(default_factory=set)
    transaction_account_ids: set[str] = field(default_factory=set)
    # Calls without the PSU present, per (day, account id or "" for the list).
    uses: dict[tuple[date, str], int] = field(default_factory=dict)
    tpp_name: str = "Unknown app"


class PaymentStatus(StrEnum):
    """ISO 20022 transaction status codes the sandbox uses."""

    RCVD = "RCVD"
    ACTC = "ACTC"
    ACSC = "ACSC"
    RJCT = "RJCT"
    CANC = "CANC"


@dataclass(slots=True)
class Payment:
    """A payment initiation and where it stands."""

    id: str
    bank_id: str
    product: str
    request_id: str
    debtor_account_id: str
    creditor_name: str
    creditor_iban: str | None
    creditor_bban: str | None
    amount: Decimal
    currency: str
    remittance: str | None
    end_to_end_id: str | None
    status: PaymentStatus
    sca_status: ScaStatus
    created_at: datetime
    authorisation_id: str
    redirect_uri: str | None
    nok_redirect_uri: str | None
    customer_id: str | None = None
    reject_reason: str | None = None
    settled_at: datetime | None = None
