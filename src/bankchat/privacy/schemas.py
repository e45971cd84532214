"""Wire shapes of the privacy center (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from bankchat.banking.schemas import ConnectionOut, Request, Wire


class SharedAccountOut(Wire):
    id: str
    kind: str
    name: str | None
    iban: str | None
    masked_pan: str | None
    currency: str


class PrivacyConnectionOut(ConnectionOut):
    accounts: list[SharedAccountOut]


class AccessLogEntryOut(Wire):
    seq: int
    at: datetime
    when: str
    actor: str
    action: str
    purpose: str | None
    text: str


class AccessLogOut(Wire):
    entries: list[AccessLogEntryOut]
    next_before: int | None


class EraseRequest(Request):
    confirm_email: str = Field(min_length=3, max_length=254)
