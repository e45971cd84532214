"""Reading a bank's NextGenPSD2 answers: JSON bodies into the client's results, the bank
data records the vault stores, the dedupe key of a transaction, and the code and text of an
error answer.

Every reader checks types and formats by the spec and raises ``FormatError``
(MALFORMED_RESPONSE) naming where the bad field is; the field's value (bank data) is never
part of the message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import httpx

from bankchat.banking.psd2_errors import FormatError
from bankchat.banking.psd2_results import (
    AccountRef,
    ConsentAccessInfo,
    ConsentCreated,
    ConsentInfo,
    KindPath,
    Psd2Account,
)
from bankchat.vault.records import Balance, TransactionRecord

ReportKey = Literal["transactions", "cardTransactions"]

_AMOUNT = re.compile(r"-?[0-9]{1,14}(\.[0-9]{1,3})?")
_CURRENCY = re.compile(r"[A-Z]{3}")

# -- answers ---------------------------------------------------------------------------


def parse_consent_created(body: Mapping[str, Any], url: httpx.URL) -> ConsentCreated:
    """The answer to POST /v1/consents; its scaRedirect is resolved against ``url``, the
    URL that answered."""
    try:
        consent_id = _required_text(body, "consentId")
        status = _required_text(body, "consentStatus")
        href = _link(body, "scaRedirect")
        if href is None:
            raise _Bad("_links.scaRedirect.href")
    except _Bad as bad:
        raise malformed("consent creation", bad.field) from None
    sca_redirect = url.join(href)
    if sca_redirect.scheme not in ("http", "https"):
        raise malformed("consent creation", "_links.scaRedirect.href")
    return ConsentCreated(consent_id, status, str(sca_redirect))


def parse_consent_status(body: Mapping[str, Any]) -> str:
    """The status in the answer to GET /v1/consents/{consentId}/status."""
    try:
        return _required_text(body, "consentStatus")
    except _Bad as bad:
        raise malformed("consent status", bad.field) from None


def parse_consent(consent_id: str, body: Mapping[str, Any]) -> ConsentInfo:
    """The answer to GET /v1/consents/{consentId}."""
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
        raise malformed("consent", bad.field) from None


def parse_account_list(body: Mapping[str, Any], kind: KindPath) -> list[Psd2Account]:
    """The answer to GET /v1/accounts or /v1/card-accounts."""
    list_key = "accounts" if kind == "accounts" else "cardAccounts"
    items = body.get(list_key)
    if type(items) is not list:
        raise malformed(f"{kind} list", list_key)
    found = []
    for index, item in enumerate(items):
        try:
            found.append(_account(item, kind))
        except _Bad as bad:
            raise malformed(f"{list_key}[{index}]", bad.field) from None
    return found


def parse_balances(body: Mapping[str, Any], where: str) -> list[Balance]:
    """The ``balances`` of an answer such as GET /v1/accounts/{id}/balances."""
    items = body.get("balances")
    if type(items) is not list:
        raise malformed(where, "balances")
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
            raise malformed(f"{where}.balances[{index}]", bad.field) from None
    return balances


def parse_transaction_page(
    body: Mapping[str, Any], report_key: ReportKey, page: int
) -> tuple[list[TransactionRecord], str | None]:
    """One page of a transaction report (``report_key`` "transactions" for a payment
    account, "cardTransactions" for a card account): its booked and pending entries, and
    the href of the next page if the bank links one."""
    parse = _card_entry if report_key == "cardTransactions" else _account_entry
    report = body.get(report_key)
    if type(report) is not dict:
        raise malformed(f"page {page}", report_key)
    records = _entries(report, "booked", f"page {page}: {report_key}", parse)
    records += _entries(report, "pending", f"page {page}: {report_key}", parse)
    return records, _link(report, "next")


def distinct_hash_keys(records: list[TransactionRecord]) -> list[TransactionRecord]:
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


# -- the dedupe key --------------------------------------------------------------------

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


# -- fields of an answer ---------------------------------------------------------------


class _Bad(Exception):
    """A field of the bank's answer is missing or malformed; caught and reported with where
    it is."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def malformed(where: str, field: str) -> FormatError:
    return FormatError(200, "MALFORMED_RESPONSE", f"{where}: field {field} is missing or invalid")


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
        raise malformed(where, status)
    records = []
    for index, entry in enumerate(entries):
        try:
            if type(entry) is not dict:
                raise _Bad("(entry)")
            records.append(parse(entry, status))
        except _Bad as bad:
            raise malformed(f"{where}.{status}[{index}]", bad.field) from None
    return records


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
