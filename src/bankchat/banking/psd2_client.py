"""A typed async client for a bank's NextGenPSD2 (Berlin Group XS2A 1.3.11) interface.

It speaks to any conforming bank, not only the sandbox: answers are parsed by the spec and
optional fields may be absent. What it guarantees:

- every call carries a fresh ``X-Request-ID`` (kept across the retries of that call, so
  the bank can tell a retry from a new request);
- ``PSU-IP-Address`` is sent exactly when the caller says the person is present; a read
  without the person first spends one use of the consent's ``frequencyPerDay`` from an
  :class:`AccessBudget` and is not sent at all when none is left (``BudgetExhausted``);
- errors become the typed exceptions of :mod:`bankchat.banking.psd2_errors`;
- GET and DELETE are retried with exponential backoff and jitter on network errors,
  timeouts, 5xx, a 429 other than ACCESS_EXCEEDED, and answers that are not JSON,
  honouring ``Retry-After`` (seconds, capped). ACCESS_EXCEEDED is never retried. POST is
  retried only when the connection failed before anything was sent.

Retries and the budget: a retry spends the budget again unless the failed attempt cannot
have reached the bank (connection refused, connect or pool timeout). A bank that answered
5xx, or a request that timed out while waiting for the answer, may have been counted by
the bank; spending again keeps our count at or above the bank's, so we never send more
unattended reads than the consent allows. If the budget runs out during retries, the
retries stop with ``BudgetExhausted`` (its cause is the last failure).

Bank data we read (amounts, names, remittance text) never goes into log lines or exception
messages; field names and positions do, and so does the bank's own error text (shortened).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from bankchat.banking.psd2_errors import (
    AccessExceeded,
    BankUnavailable,
    BudgetExhausted,
    ConsentExpired,
    ConsentInvalid,
    FormatError,
    Psd2Error,
    error_for,
)
from bankchat.vault.records import Balance, TransactionRecord

log = logging.getLogger(__name__)

KindPath = Literal["accounts", "card-accounts"]
# The resource keys the budget (and the sandbox) count the two list reads under; a read of
# one account counts under the account's resourceId.
ACCOUNT_LIST_RESOURCE = "/accounts"
CARD_ACCOUNT_LIST_RESOURCE = "/card-accounts"

_AMOUNT = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,3})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_BOOKING_STATUSES = ("booked", "pending", "both")
# A bank that keeps linking pages is either broken or hostile; 100,000 entries is plenty.
_MAX_PAGES = 1000
# Failures where the request cannot have reached the bank: safe to retry even for POST,
# and the retry of an unattended read does not spend the budget again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRIED_TRANSPORT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


# -- results ----------------------------------------------------------------------------


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


# -- the budget of reads without the person -----------------------------------------------


class AccessBudget(Protocol):
    """Uses left of a consent's frequencyPerDay, per resource and day."""

    def spend(self, resource: str) -> None:
        """Take one use for ``resource`` today, or raise ``BudgetExhausted``."""


class InMemoryBudget:
    """An :class:`AccessBudget` held in memory: ``frequency_per_day`` uses per resource and
    day. ``today`` is the date, or a function giving it (default: today in UTC)."""

    def __init__(
        self, frequency_per_day: int, today: date | Callable[[], date] | None = None
    ) -> None:
        if frequency_per_day < 1:
            raise ValueError("frequency_per_day must be at least 1")
        self.frequency_per_day = frequency_per_day
        if today is None:
            self._today: Callable[[], date] = lambda: datetime.now(UTC).date()
        elif isinstance(today, date):
            fixed = today
            self._today = lambda: fixed
        else:
            self._today = today
        self._used: dict[tuple[date, str], int] = {}

    def used(self, resource: str) -> int:
        """Uses of ``resource`` spent today."""
        return self._used.get((self._today(), resource), 0)

    def spend(self, resource: str) -> None:
        key = (self._today(), resource)
        used = self._used.get(key, 0)
        if used >= self.frequency_per_day:
            raise BudgetExhausted(text=f"no reads of {resource} left today without the PSU")
        self._used[key] = used + 1


# -- the dedupe key ---------------------------------------------------------------------

# The fields that identify an entry that has neither transactionId nor entryReference.
_HASHED_FIELDS = (
    "bookingDate",
    "valueDate",
    "transactionDate",
    "transactionAmount",
    "creditorName",
    "creditorAccount",
    "ultimateCreditor",
    "debtorName",
    "debtorAccount",
    "ultimateDebtor",
    "remittanceInformationUnstructured",
    "remittanceInformationUnstructuredArray",
    "remittanceInformationStructured",
    "endToEndId",
    "mandateId",
    "bankTransactionCode",
    "transactionDetails",
    "cardAcceptorId",
    "cardAcceptorAddress",
    "merchantCategoryCode",
    "maskedPAN",
    "terminalId",
    "acceptorTransactionDateTime",
    "additionalInformation",
)


def _canonical_money(value: Any) -> Any:
    """An amount object with the amount in one spelling ("10.5" and "10.50" are equal)."""
    if not isinstance(value, Mapping):
        return value
    amount = value.get("amount")
    if isinstance(amount, str) and _AMOUNT.fullmatch(amount):
        number = Decimal(amount).normalize() or Decimal(0)  # and "-0.00" is "0"
        value = {**value, "amount": format(number, "f")}
    return value


def transaction_key(entry: Mapping[str, Any]) -> str:
    """The dedupe key of a transaction entry of a report: ``id:<transactionId>`` (for card
    transactions ``cardTransactionId``), else ``ref:<entryReference>``, else ``hash:`` and
    the SHA-256 of the booking fields in canonical JSON (sorted keys, absent and empty
    fields left out, the amount in one spelling)."""
    for id_field in ("transactionId", "cardTransactionId"):
        value = entry.get(id_field)
        if isinstance(value, str) and value:
            return f"id:{value}"
    reference = entry.get("entryReference")
    if isinstance(reference, str) and reference:
        return f"ref:{reference}"
    fields = {
        name: entry[name] for name in _HASHED_FIELDS if entry.get(name) not in (None, "", [], {})
    }
    if "transactionAmount" in fields:
        fields["transactionAmount"] = _canonical_money(fields["transactionAmount"])
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return "hash:" + hashlib.sha256(canonical.encode()).hexdigest()


# -- parsing answers ------------------------------------------------------------------------


class _Bad(Exception):
    """A field of the bank's answer is missing or malformed; caught and reported with where
    it is."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _malformed(where: str, field: str) -> FormatError:
    return FormatError(200, "MALFORMED_RESPONSE", f"{where}: field {field} is missing or invalid")


def _compact(iban: str) -> str:
    return iban.replace(" ", "").upper()


def _text(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is None or type(value) is str:
        return value or None
    raise _Bad(name)


def _required_text(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    if type(value) is not str or not value:
        raise _Bad(name)
    return value


def _date(entry: Mapping[str, Any], name: str) -> date | None:
    value = entry.get(name)
    if value is None:
        return None
    if type(value) is not str or len(value) != 10 or value[4] != "-":
        raise _Bad(name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(name) from None


def _required_date(entry: Mapping[str, Any], name: str) -> date:
    value = _date(entry, name)
    if value is None:
        raise _Bad(name)
    return value


def _money(entry: Mapping[str, Any], name: str) -> tuple[Decimal, str]:
    money = entry.get(name)
    if type(money) is not dict:
        raise _Bad(name)
    amount = money.get("amount")
    if type(amount) is not str or not _AMOUNT.fullmatch(amount):
        raise _Bad(f"{name}.amount")
    currency = money.get("currency")
    if type(currency) is not str or not _CURRENCY.fullmatch(currency):
        raise _Bad(f"{name}.currency")
    return Decimal(amount), currency


def _object(entry: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    value = entry.get(name)
    if value is None or type(value) is dict:
        return value
    raise _Bad(name)


def _remittance(entry: Mapping[str, Any]) -> str | None:
    text = _text(entry, "remittanceInformationUnstructured")
    if text is not None:
        return text
    lines = entry.get("remittanceInformationUnstructuredArray")
    if lines is None:
        return None
    if type(lines) is not list or any(type(line) is not str for line in lines):
        raise _Bad("remittanceInformationUnstructuredArray")
    return " ".join(line for line in lines if line) or None


def _party(entry: Mapping[str, Any], role: str) -> tuple[str | None, str | None] | None:
    """Name and IBAN of the creditor or debtor, None if the entry names neither."""
    name = _text(entry, f"{role}Name")
    account = _object(entry, f"{role}Account")
    iban = _text(account, "iban") if account is not None else None
    if name is None and iban is None:
        return None
    return name, iban


def _account_entry(
    entry: Mapping[str, Any], status: Literal["booked", "pending"]
) -> TransactionRecord:
    amount, currency = _money(entry, "transactionAmount")
    # The other party: for a debit whom the money went to, for a credit where it came from.
    first, second = ("creditor", "debtor") if amount < 0 else ("debtor", "creditor")
    party = _party(entry, first) or _party(entry, second) or (None, None)
    return TransactionRecord(
        key=transaction_key(entry),
        status=status,
        booking_date=_date(entry, "bookingDate"),
        value_date=_date(entry, "valueDate"),
        amount=amount,
        currency=currency,
        transaction_id=_text(entry, "transactionId"),
        entry_reference=_text(entry, "entryReference"),
        counterparty_name=party[0],
        counterparty_iban=party[1],
        remittance=_remittance(entry),
        bank_transaction_code=_text(entry, "bankTransactionCode"),
    )


def _card_entry(
    entry: Mapping[str, Any], status: Literal["booked", "pending"]
) -> TransactionRecord:
    amount, currency = _money(entry, "transactionAmount")
    address = _object(entry, "cardAcceptorAddress")
    return TransactionRecord(
        key=transaction_key(entry),
        status=status,
        booking_date=_date(entry, "bookingDate"),
        value_date=_date(entry, "valueDate"),
        transaction_date=_date(entry, "transactionDate"),
        amount=amount,
        currency=currency,
        transaction_id=_text(entry, "cardTransactionId"),
        merchant=_text(entry, "transactionDetails"),
        mcc=_text(entry, "merchantCategoryCode"),
        city=_text(address, "townName") if address is not None else None,
        country=_text(address, "country") if address is not None else None,
        masked_pan=_text(entry, "maskedPAN"),
        terminal_id=_text(entry, "terminalId"),
    )


def _entries(
    report: Mapping[str, Any],
    status: Literal["booked", "pending"],
    where: str,
    parse: Callable[[Mapping[str, Any], Literal["booked", "pending"]], TransactionRecord],
) -> list[TransactionRecord]:
    entries = report.get(status)
    if entries is None:
        return []
    if type(entries) is not list:
        raise _malformed(where, status)
    records = []
    for index, entry in enumerate(entries):
        try:
            if type(entry) is not dict:
                raise _Bad("(entry)")
            records.append(parse(entry, status))
        except _Bad as bad:
            raise _malformed(f"{where}.{status}[{index}]", bad.field) from None
    return records


def _balances(body: Mapping[str, Any], where: str) -> list[Balance]:
    items = body.get("balances")
    if type(items) is not list:
        raise _malformed(where, "balances")
    balances = []
    for index, item in enumerate(items):
        try:
            if type(item) is not dict:
                raise _Bad("(entry)")
            amount, currency = _money(item, "balanceAmount")
            included = item.get("creditLimitIncluded")
            if included is not None and type(included) is not bool:
                raise _Bad("creditLimitIncluded")
            balances.append(
                Balance(
                    balance_type=_required_text(item, "balanceType"),
                    amount=amount,
                    currency=currency,
                    reference_date=_date(item, "referenceDate"),
                    credit_limit_included=included,
                )
            )
        except _Bad as bad:
            raise _malformed(f"{where}.balances[{index}]", bad.field) from None
    return balances


def _account(item: Any, kind: KindPath) -> Psd2Account:
    if type(item) is not dict:
        raise _Bad("(entry)")
    currency = item.get("currency")
    if type(currency) is not str or not _CURRENCY.fullmatch(currency):
        raise _Bad("currency")
    credit_limit = _money(item, "creditLimit")[0] if item.get("creditLimit") is not None else None
    return Psd2Account(
        resource_id=_required_text(item, "resourceId"),
        kind_path=kind,
        iban=_text(item, "iban"),
        bban=_text(item, "bban"),
        masked_pan=_text(item, "maskedPan"),
        name=_text(item, "name") or _text(item, "displayName"),
        product=_text(item, "product"),
        currency=currency,
        cash_account_type=_text(item, "cashAccountType"),
        owner_name=_text(item, "ownerName"),
        credit_limit=credit_limit,
    )


def _references(access: Mapping[str, Any], key: str) -> tuple[AccountRef, ...] | None:
    items = access.get(key)
    if items is None:
        return None
    if type(items) is not list:
        raise _Bad(f"access.{key}")
    references = []
    for item in items:
        if type(item) is not dict:
            raise _Bad(f"access.{key}")
        try:
            masked_pan = _text(item, "maskedPan")
            pan = _text(item, "pan")
            references.append(
                AccountRef(
                    iban=_text(item, "iban"),
                    bban=_text(item, "bban"),
                    # A full PAN is never kept; its masked form names the same card.
                    masked_pan=masked_pan or (_mask_pan(pan) if pan else None),
                    msisdn=_text(item, "msisdn"),
                    currency=_text(item, "currency"),
                )
            )
        except _Bad as bad:
            raise _Bad(f"access.{key}.{bad.field}") from None
    return tuple(references)


def _mask_pan(pan: str) -> str:
    return pan[:6] + "*" * max(0, len(pan) - 10) + pan[-4:] if len(pan) > 10 else "*" * len(pan)


def _access(body: Mapping[str, Any]) -> ConsentAccessInfo:
    access = _object(body, "access")
    if access is None:
        raise _Bad("access")
    return ConsentAccessInfo(
        accounts=_references(access, "accounts"),
        balances=_references(access, "balances"),
        transactions=_references(access, "transactions"),
        all_psd2=access.get("allPsd2") is not None,
        list_only=any(
            access.get(key) is not None
            for key in ("availableAccounts", "availableAccountsWithBalance")
        ),
    )


def _link(body: Mapping[str, Any], name: str) -> str | None:
    links = body.get("_links")
    if type(links) is not dict:
        return None
    link = links.get(name)
    href = link.get("href") if type(link) is dict else None
    return href if type(href) is str and href else None


def _raise_unless_valid(status: str) -> None:
    """A consent in ``status`` cannot be read with: raise what the bank would answer."""
    if status == "valid":
        return
    if status == "expired":
        raise ConsentExpired(401, "CONSENT_EXPIRED", "the consent has expired")
    raise ConsentInvalid(401, "CONSENT_INVALID", f"the consent is {status[:40]}")


def _may_list(info: ConsentInfo, kind: KindPath) -> bool:
    """Whether the consent may cover accounts of ``kind``; when in doubt, yes."""
    if info.links_accounts or info.links_card_accounts:
        return info.links_card_accounts if kind == "card-accounts" else info.links_accounts
    if not info.access.names_accounts:
        return True
    card = kind == "card-accounts"
    return any(reference.is_card == card for reference in info.access.references())


def error_message(response: httpx.Response) -> tuple[str, str]:
    """The code and text of a bank's error answer, in either of the spec's two shapes."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    messages = body.get("tppMessages")
    if isinstance(messages, list):
        coded = [m for m in messages if isinstance(m, dict) and isinstance(m.get("code"), str)]
        chosen = [m for m in coded if m.get("category") == "ERROR"] or coded
        if chosen:
            text = chosen[0].get("text")
            return chosen[0]["code"], text if isinstance(text, str) else ""
    code = body.get("code")
    if isinstance(code, str):
        detail = body.get("detail") or body.get("title")
        return code, detail if isinstance(detail, str) else ""
    return "", ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if seconds >= 0 and seconds == seconds else None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


@dataclass(frozen=True, slots=True)
class _Answer:
    body: dict[str, Any]
    url: httpx.URL


class _Failure(Exception):
    """One failed attempt: the error to raise if it is the last, whether to retry, whether
    the request may have reached the bank, and how long the bank asked us to wait."""

    def __init__(
        self, error: Psd2Error, *, retry: bool, reached: bool, wait: float | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.retry = retry
        self.reached = reached
        self.wait = wait


# -- the client ---------------------------------------------------------------------------


class Psd2Client:
    """One bank's NextGenPSD2 interface at ``base_url`` (requests go to ``{base_url}/v1``)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tpp_name: str = "bankchat",
        max_retry_after: float = 30.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        self._base = base_url.rstrip("/")
        self._origin = _origin(httpx.URL(self._base))
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep
        self._tpp_name = tpp_name
        self._max_retry_after = max_retry_after

    # -- consents -------------------------------------------------------------------------

    async def create_consent(
        self,
        *,
        accounts: Sequence[AccountRef] | None,
        balances: bool,
        transactions: bool,
        valid_until: date,
        frequency_per_day: int,
        redirect_uri: str,
        nok_redirect_uri: str,
        psu_ip: str,
        recurring: bool = True,
    ) -> ConsentCreated:
        """Ask the bank for an AIS consent; the person authorises it at ``sca_redirect``.

        ``accounts`` None (or empty) leaves the choice of accounts to the person on the
        bank's page (the bank-offered consent), with only the scopes asked for.
        """
        if frequency_per_day < 1:
            raise ValueError("frequency_per_day must be at least 1")
        references = [reference.to_json() for reference in accounts or ()]
        access: dict[str, Any] = {"accounts": references}
        if balances:
            access["balances"] = references
        if transactions:
            access["transactions"] = references
        answer = await self._call(
            "POST",
            f"{self._base}/v1/consents",
            psu_ip=_checked_ip(psu_ip),
            json_body={
                "access": access,
                "recurringIndicator": recurring,
                "validUntil": valid_until.isoformat(),
                "frequencyPerDay": frequency_per_day,
                "combinedServiceIndicator": False,
            },
            headers={
                "TPP-Redirect-URI": redirect_uri,
                "TPP-Nok-Redirect-URI": nok_redirect_uri,
                "TPP-Redirect-Preferred": "true",
                "TPP-Brand-Logging-Information": self._tpp_name,
            },
            idempotent=False,
        )
        body = answer.body
        try:
            consent_id = _required_text(body, "consentId")
            status = _required_text(body, "consentStatus")
            href = _link(body, "scaRedirect")
            if href is None:
                raise _Bad("_links.scaRedirect.href")
        except _Bad as bad:
            raise _malformed("consent creation", bad.field) from None
        sca_redirect = answer.url.join(href)
        if sca_redirect.scheme not in ("http", "https"):
            raise _malformed("consent creation", "_links.scaRedirect.href")
        return ConsentCreated(consent_id, status, str(sca_redirect))

    async def consent_status(self, consent_id: str, *, psu_ip: str | None = None) -> str:
        """The consent's status (``valid``, ``revokedByPsu``, ...). Status reads do not count
        against frequencyPerDay, so no budget is needed."""
        answer = await self._call(
            "GET", f"{self._consent_url(consent_id)}/status", psu_ip=_checked_ip(psu_ip)
        )
        try:
            return _required_text(answer.body, "consentStatus")
        except _Bad as bad:
            raise _malformed("consent status", bad.field) from None

    async def get_consent(self, consent_id: str, *, psu_ip: str | None = None) -> ConsentInfo:
        """The consent with what it grants (no budget needed, as for its status)."""
        answer = await self._call("GET", self._consent_url(consent_id), psu_ip=_checked_ip(psu_ip))
        body = answer.body
        try:
            frequency = body.get("frequencyPerDay")
            if type(frequency) is not int or frequency < 1:
                raise _Bad("frequencyPerDay")
            recurring = body.get("recurringIndicator")
            if type(recurring) is not bool:
                raise _Bad("recurringIndicator")
            return ConsentInfo(
                consent_id=consent_id,
                status=_required_text(body, "consentStatus"),
                valid_until=_required_date(body, "validUntil"),
                frequency_per_day=frequency,
                recurring=recurring,
                last_action_date=_date(body, "lastActionDate"),
                access=_access(body),
                links_accounts=_link(body, "account") is not None,
                links_card_accounts=_link(body, "card-account") is not None,
            )
        except _Bad as bad:
            raise _malformed("consent", bad.field) from None

    async def delete_consent(self, consent_id: str) -> None:
        """End the consent at the bank.

        A consent the bank does not know (any more), or one that already ended, is not an
        error: either way it can no longer be used, which is what the caller wants.
        """
        try:
            await self._call("DELETE", self._consent_url(consent_id))
        except Psd2Error as exc:
            if exc.code in ("CONSENT_UNKNOWN", "CONSENT_INVALID", "CONSENT_EXPIRED") or (
                exc.status == 404 and exc.code in ("RESOURCE_UNKNOWN", "HTTP_404")
            ):
                log.info("consent already gone at the bank", extra={"code": exc.code})
                return
            raise

    # -- account information --------------------------------------------------------------

    async def list_accounts(
        self,
        consent_id: str,
        *,
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
        consent: ConsentInfo | None = None,
    ) -> list[Psd2Account]:
        """The payment and card accounts the consent covers.

        The consent is read first (free of budget; pass ``consent`` if you just read it):
        a consent that is not valid fails here without spending a read, and the lists it
        cannot cover are not asked for. Some banks answer a list the consent covers no
        account of with 401 CONSENT_INVALID; the consent's status then tells that answer
        apart from a consent that just ended.
        """
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        if consent is not None and consent.consent_id != consent_id:
            raise ValueError("consent is the information of another consent")
        info = consent or await self.get_consent(consent_id, psu_ip=ip)
        _raise_unless_valid(info.status)
        found: list[Psd2Account] = []
        kinds: tuple[KindPath, ...] = ("accounts", "card-accounts")
        for kind in kinds:
            if not _may_list(info, kind):
                continue
            resource = ACCOUNT_LIST_RESOURCE if kind == "accounts" else CARD_ACCOUNT_LIST_RESOURCE
            try:
                answer = await self._call(
                    "GET",
                    f"{self._base}/v1/{kind}",
                    consent_id=consent_id,
                    psu_ip=ip,
                    spend=_spender(budget, resource, ip),
                )
            except ConsentInvalid:
                _raise_unless_valid(await self.consent_status(consent_id, psu_ip=ip))
                continue
            list_key = "accounts" if kind == "accounts" else "cardAccounts"
            items = answer.body.get(list_key)
            if type(items) is not list:
                raise _malformed(f"{kind} list", list_key)
            for index, item in enumerate(items):
                try:
                    found.append(_account(item, kind))
                except _Bad as bad:
                    raise _malformed(f"{list_key}[{index}]", bad.field) from None
        return found

    async def balances(
        self,
        consent_id: str,
        account: Psd2Account,
        *,
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
    ) -> list[Balance]:
        """The account's balances as the bank reports them."""
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        answer = await self._call(
            "GET",
            f"{self._account_url(account)}/balances",
            consent_id=consent_id,
            psu_ip=ip,
            spend=_spender(budget, account.resource_id, ip),
        )
        return _balances(answer.body, "balances")

    async def transactions(
        self,
        consent_id: str,
        account: Psd2Account,
        *,
        date_from: date,
        date_to: date | None = None,
        booking_status: str = "both",
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
    ) -> list[TransactionRecord]:
        """Every entry of the account's report from ``date_from`` (to ``date_to``), booked
        and pending, following the bank's page links.

        Only the first page spends the budget: following ``_links.next`` continues the
        same read. Links must stay on the bank's origin. Entries without transactionId or
        entryReference get a content hash as key; identical such entries in one report
        are told apart by their order (``#2``, ``#3``, ...).
        """
        if booking_status not in _BOOKING_STATUSES:
            raise ValueError(f"booking_status must be one of {', '.join(_BOOKING_STATUSES)}")
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        params = {"bookingStatus": booking_status, "dateFrom": date_from.isoformat()}
        if date_to is not None:
            params["dateTo"] = date_to.isoformat()
        report_key = "cardTransactions" if account.is_card else "transactions"
        parse = _card_entry if account.is_card else _account_entry
        answer = await self._call(
            "GET",
            f"{self._account_url(account)}/transactions",
            params=params,
            consent_id=consent_id,
            psu_ip=ip,
            spend=_spender(budget, account.resource_id, ip),
        )
        records: list[TransactionRecord] = []
        visited = {str(answer.url)}
        for page in range(_MAX_PAGES):
            report = answer.body.get(report_key)
            if type(report) is not dict:
                raise _malformed(f"page {page}", report_key)
            records += _entries(report, "booked", f"page {page}: {report_key}", parse)
            records += _entries(report, "pending", f"page {page}: {report_key}", parse)
            href = _link(report, "next")
            if href is None:
                return _distinct_hash_keys(records)
            next_url = answer.url.join(href)
            if _origin(next_url) != self._origin:
                raise _malformed(f"page {page}: {report_key}", "_links.next (another origin)")
            if str(next_url) in visited:
                raise _malformed(f"page {page}: {report_key}", "_links.next (a page seen before)")
            visited.add(str(next_url))
            answer = await self._call("GET", next_url, consent_id=consent_id, psu_ip=ip)
        raise _malformed(report_key, f"_links.next (more than {_MAX_PAGES} pages)")

    # -- plumbing -------------------------------------------------------------------------

    def _consent_url(self, consent_id: str) -> str:
        return f"{self._base}/v1/consents/{quote(consent_id, safe='')}"

    def _account_url(self, account: Psd2Account) -> str:
        return f"{self._base}/v1/{account.kind_path}/{quote(account.resource_id, safe='')}"

    async def _call(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        consent_id: str | None = None,
        psu_ip: str | None = None,
        headers: Mapping[str, str] | None = None,
        spend: Callable[[], None] | None = None,
        idempotent: bool = True,
    ) -> _Answer:
        """One logical call: its attempts, the budget, the waits, the mapping of errors."""
        request_headers = {"X-Request-ID": str(uuid.uuid4()), "Accept": "application/json"}
        if consent_id is not None:
            request_headers["Consent-ID"] = consent_id
        if psu_ip is not None:
            request_headers["PSU-IP-Address"] = psu_ip
        request_headers.update(headers or {})
        if spend is not None:
            spend()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(
                    method, url, params, json_body, request_headers, idempotent=idempotent
                )
            except _Failure as failure:
                last = failure
            if not last.retry or attempt >= self._max_attempts:
                raise last.error
            # The failed attempt may have been counted by the bank: as far as
            # frequencyPerDay goes, the retry is a read of its own (see the module docstring).
            if last.reached and spend is not None:
                try:
                    spend()
                except BudgetExhausted as exhausted:
                    raise exhausted from last.error
            delay = self._delay(attempt, last.wait)
            log.warning(
                "retrying a NextGenPSD2 call",
                extra={
                    "method": method,
                    "path": httpx.URL(url).path,
                    "status": last.error.status,
                    "code": last.error.code,
                    "attempt": attempt,
                    "delay": round(delay, 3),
                    "request_id": request_headers["X-Request-ID"],
                },
            )
            await self._sleep(delay)

    async def _attempt(
        self,
        method: str,
        url: str | httpx.URL,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        *,
        idempotent: bool,
    ) -> _Answer:
        try:
            response = await self._http.request(
                method, url, params=params, json=json_body, headers=headers
            )
        except httpx.TransportError as exc:
            not_sent = isinstance(exc, _NOT_SENT)
            unreachable = BankUnavailable(
                0, "NETWORK_ERROR", f"{type(exc).__name__} talking to the bank"
            )
            unreachable.__cause__ = exc
            retry = not_sent or (idempotent and isinstance(exc, _RETRIED_TRANSPORT))
            raise _Failure(unreachable, retry=retry, reached=not not_sent) from exc
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return _Answer({}, response.url)
            try:
                body = json.loads(response.content)
            except ValueError:
                garbled = BankUnavailable(status, "NOT_JSON", "the bank's answer is not JSON")
                raise _Failure(garbled, retry=idempotent, reached=True) from None
            if type(body) is not dict:
                raise FormatError(status, "MALFORMED_RESPONSE", "the answer is not a JSON object")
            return _Answer(body, response.url)
        code, text = error_message(response)
        error = error_for(status, code, text)
        if isinstance(error, AccessExceeded):
            raise error
        transient = status >= 500 or status in (408, 429)
        raise _Failure(
            error, retry=idempotent and transient, reached=True, wait=_retry_after(response)
        )

    def _delay(self, attempt: int, asked: float | None) -> float:
        if asked is not None:
            return min(asked, self._max_retry_after)
        base = self._backoff * 2.0 ** (attempt - 1)
        return base + random.uniform(0, base / 4)


def _require_attended_or_budget(psu_ip: str | None, budget: AccessBudget | None) -> None:
    if psu_ip is None and budget is None:
        raise ValueError("a read without the person present needs an AccessBudget")


def _checked_ip(psu_ip: str | None) -> str | None:
    if psu_ip is not None:
        try:
            ipaddress.ip_address(psu_ip)
        except ValueError:
            raise ValueError("psu_ip must be an IP address") from None
    return psu_ip


def _spender(
    budget: AccessBudget | None, resource: str, psu_ip: str | None
) -> Callable[[], None] | None:
    """What spends one read of ``resource``; nothing while the person is present."""
    if psu_ip is not None or budget is None:
        return None
    spend = budget.spend
    return lambda: spend(resource)


def _distinct_hash_keys(records: list[TransactionRecord]) -> list[TransactionRecord]:
    """Give identical entries without ids (two coffees of the same price on one day) keys
    of their own, numbered in the order the bank lists them."""
    seen: dict[str, int] = {}
    result = []
    for record in records:
        key = record.key
        if key.startswith("hash:"):
            count = seen.get(key, 0) + 1
            seen[key] = count
            if count > 1:
                record = replace(record, key=f"{key}#{count}")
        result.append(record)
    return result
