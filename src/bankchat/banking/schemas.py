"""Wire shapes of the banking routes (camelCase JSON, money as strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from bankchat.vault.purposes import Purpose

# The platform's ids are UUIDs. A path or query value that cannot be one (NUL, which
# PostgreSQL cannot even compare, or a megabyte) is refused before it reaches a query.
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Request(Wire):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class BankOut(Wire):
    id: str
    name: str
    country: str
    currency: str
    language: str
    primary_color: str
    accent_color: str


class LinkRequest(Request):
    bank_id: str = Field(min_length=1, max_length=32)
    scopes: list[Literal["balances", "transactions"]] = Field(min_length=1, max_length=2)
    purposes: list[Purpose] = Field(default_factory=lambda: [Purpose.USER_REQUEST], max_length=4)
    days: int = Field(default=90, ge=1, le=180)


class LinkStartedOut(Wire):
    redirect_url: str
    expires_at: datetime


class ConnectionOut(Wire):
    id: str
    bank_id: str
    bank_name: str
    status: str
    scopes: list[str]
    purposes: list[str]
    valid_until: date
    days_left: int
    expiring_soon: bool
    frequency_per_day: int
    uses_today: dict[str, int] = Field(
        description="Reads at the bank without the person spent today, by account id."
    )
    authorised_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    last_synced_at: datetime | None
    last_sync_error: str | None
    account_ids: list[str]


class AccountSyncOut(Wire):
    account_id: str
    added: int
    modified: int
    removed: int
    deferred: bool


class SyncOut(Wire):
    connection_id: str
    status: str
    error: str | None
    accounts: list[AccountSyncOut]


class MoneyOut(Wire):
    amount: str
    currency: str


class BalanceOut(Wire):
    balance_type: str
    amount: MoneyOut
    reference_date: date | None


class AccountOut(Wire):
    id: str
    bank_id: str
    kind: str
    name: str | None
    product: str | None
    iban: str | None
    masked_pan: str | None
    currency: str
    owner_name: str | None
    balances: list[BalanceOut]


class TransactionOut(Wire):
    id: str
    account_id: str
    status: str
    booking_date: date | None
    value_date: date | None
    amount: MoneyOut
    counterparty_name: str | None
    counterparty_iban: str | None
    remittance: str | None
    merchant: str | None
    city: str | None
    country: str | None
    note: str | None


class NoteRequest(Request):
    note: str | None = Field(default=None, max_length=500)


# Ids and codes a bank sends: printable ASCII tokens, so nothing odd is stored or logged.
Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


class BankEvent(Wire):
    """What a bank's webhook delivery carries: ids and codes only (docs/partner-api.md).
    Unknown fields are ignored, so a bank may add some."""

    id: Annotated[Token, StringConstraints(max_length=64)]
    type: Annotated[Token, StringConstraints(max_length=40)] = Field(
        examples=["transaction.created"]
    )
    created: datetime | None = None
    bank_id: Token | None = None
    account_id: Token | None = None
    transaction_id: Token | None = None
    card_id: Token | None = None
    reason: Token | None = None


class WebhookAck(Wire):
    accepted: bool
    duplicate: bool
