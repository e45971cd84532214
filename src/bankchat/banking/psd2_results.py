"""What the NextGenPSD2 client hands back: accounts, account references and consents.

Plain frozen dataclasses; parsing the bank's JSON into them is :mod:`psd2_parsing`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

KindPath = Literal["accounts", "card-accounts"]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account reference as the spec has it: one of IBAN, BBAN, masked PAN or MSISDN."""

    iban: str | None = None
    bban: str | None = None
    masked_pan: str | None = None
    msisdn: str | None = None
    currency: str | None = None

    @property
    def is_card(self) -> bool:
        """True for a reference to a card account (by masked PAN)."""
        return self.masked_pan is not None

    def to_json(self) -> dict[str, str]:
        reference = {
            name: value
            for name, value in (
                ("iban", self.iban),
                ("bban", self.bban),
                ("maskedPan", self.masked_pan),
                ("msisdn", self.msisdn),
            )
            if value is not None
        }
        if len(reference) != 1:
            raise ValueError("an account reference names exactly one of iban, bban, maskedPan")
        if self.currency is not None:
            reference["currency"] = self.currency
        return reference

    def names(self, account: Psd2Account) -> bool:
        """True if this reference names ``account``."""
        if self.iban is not None:
            return account.iban is not None and _compact(self.iban) == _compact(account.iban)
        if self.bban is not None:
            return self.bban == account.bban
        if self.masked_pan is not None:
            return self.masked_pan == account.masked_pan
        return False


@dataclass(frozen=True, slots=True)
class ConsentAccessInfo:
    """What a consent grants, as the bank reports it.

    For each of ``accounts``, ``balances`` and ``transactions``: None if the consent does
    not ask for it, an empty tuple if the bank lets the person choose the accounts (the
    bank-offered form; after approval most banks, the sandbox among them, list the chosen
    accounts instead), else the accounts named. ``all_psd2`` is the global access to every
    account; ``list_only`` is ``availableAccounts``/``availableAccountsWithBalance``, which
    allows the account list and nothing else.
    """

    accounts: tuple[AccountRef, ...] | None = None
    balances: tuple[AccountRef, ...] | None = None
    transactions: tuple[AccountRef, ...] | None = None
    all_psd2: bool = False
    list_only: bool = False

    def references(self) -> list[AccountRef]:
        """Every account named, each once."""
        seen: dict[AccountRef, None] = {}
        for group in (self.accounts, self.balances, self.transactions):
            for reference in group or ():
                seen.setdefault(reference, None)
        return list(seen)

    @property
    def names_accounts(self) -> bool:
        """True if the access lists the accounts it covers (not global, not left open)."""
        return not self.all_psd2 and not self.list_only and bool(self.references())

    def allows(self, scope: Literal["balances", "transactions"], account: Psd2Account) -> bool:
        """True if the consent lets us read ``scope`` of ``account`` (as far as we can tell:
        an access left to the person's choice is assumed to allow it)."""
        if self.all_psd2:
            return True
        if self.list_only:
            return False
        granted = self.balances if scope == "balances" else self.transactions
        if granted is None:
            return False
        return not granted or any(reference.names(account) for reference in granted)


@dataclass(frozen=True, slots=True)
class ConsentCreated:
    """A consent the bank accepted; the person authorises it at ``sca_redirect``."""

    consent_id: str
    status: str
    sca_redirect: str


@dataclass(frozen=True, slots=True)
class ConsentInfo:
    """A consent as the bank reports it on GET /v1/consents/{consentId}.

    ``links_accounts``/``links_card_accounts``: the bank linked the account list or the
    card account list (banks that do so link exactly the lists the consent covers).
    """

    consent_id: str
    status: str
    valid_until: date
    frequency_per_day: int
    recurring: bool
    last_action_date: date | None
    access: ConsentAccessInfo
    links_accounts: bool = False
    links_card_accounts: bool = False


@dataclass(frozen=True, slots=True)
class Psd2Account:
    """A payment account (``kind_path`` "accounts") or card account ("card-accounts")."""

    resource_id: str
    kind_path: KindPath
    iban: str | None
    bban: str | None
    masked_pan: str | None
    name: str | None
    product: str | None
    currency: str
    cash_account_type: str | None
    owner_name: str | None
    credit_limit: Decimal | None

    @property
    def is_card(self) -> bool:
        return self.kind_path == "card-accounts"

    @property
    def reference(self) -> AccountRef:
        """The reference that names this account in a consent request."""
        if self.iban is not None:
            return AccountRef(iban=self.iban)
        if self.bban is not None:
            return AccountRef(bban=self.bban)
        if self.masked_pan is not None:
            return AccountRef(masked_pan=self.masked_pan)
        raise ValueError("the bank gave this account no IBAN, BBAN or masked PAN")


def _compact(iban: str) -> str:
    return iban.replace(" ", "").upper()
