"""Accounts, balances and transactions as NextGenPSD2 JSON.

Plain dicts, built field by field with the spec's names, because a page of a hundred
transactions is serialised on every read. Only fields the spec defines are written; the
sandbox-internal fraud label never is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bankchat.sandbox.consents import cash_account_type
from bankchat.sandbox.model import Account, Bank, BookingStatus, Transaction
from bankchat.sandbox.references import account_reference
from bankchat.sandbox.world import World

JsonDict = dict[str, Any]

_NAME_MAX = 70
_REMITTANCE_MAX = 140
_ID_MAX = 35


def money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"currency": currency, "amount": f"{amount:.2f}"}


def href(path: str) -> dict[str, str]:
    return {"href": path}


def account_path(bank: Bank, account: Account) -> str:
    kind = "card-accounts" if account.is_card_account else "accounts"
    return f"/banks/{bank.id}/v1/{kind}/{account.id}"


def balances(world: World, account: Account) -> list[JsonDict]:
    """closingBooked (end of yesterday), expected (booked and pending) and
    interimAvailable (what can be spent now, credit line included)."""
    ledger = world.ledger_of(account.id)
    booked = ledger.balance(account.id)
    today = world.today()
    booked_today = Decimal(0)
    pending = Decimal(0)
    for tx in world.transactions[account.id]:
        if tx.status is BookingStatus.PENDING:
            pending += tx.amount
        elif tx.booking_date is not None and tx.booking_date >= today:
            booked_today += tx.amount
    available = ledger.available(account.id)
    yesterday = today - timedelta(days=1)
    return [
        {
            "balanceAmount": money(booked - booked_today, account.currency),
            "balanceType": "closingBooked",
            "referenceDate": yesterday.isoformat(),
        },
        {
            "balanceAmount": money(booked + pending, account.currency),
            "balanceType": "expected",
            "referenceDate": today.isoformat(),
        },
        {
            "balanceAmount": money(
                available if available is not None else booked, account.currency
            ),
            "balanceType": "interimAvailable",
            "creditLimitIncluded": True,
            "referenceDate": today.isoformat(),
        },
    ]


def account_details(
    bank: Bank,
    account: Account,
    *,
    with_balances: list[JsonDict] | None,
    balances_link: bool,
    transactions_link: bool,
) -> JsonDict:
    """An accountDetails or cardAccountDetails object for ``account``."""
    path = account_path(bank, account)
    links: JsonDict = {}
    if balances_link:
        links["balances"] = href(f"{path}/balances")
    if transactions_link:
        links["transactions"] = href(f"{path}/transactions")
    details: JsonDict = {"resourceId": account.id, **account_reference(account)}
    details["currency"] = account.currency
    details["name"] = account.name[:_NAME_MAX]
    details["product"] = account.product[:35]
    details["status"] = "enabled"
    details["usage"] = "PRIV"
    if account.is_card_account:
        details["creditLimit"] = money(account.credit_limit, account.currency)
    else:
        details["cashAccountType"] = cash_account_type(account)
        details["bic"] = bank.bic
    if with_balances is not None:
        details["balances"] = with_balances
    if links:
        details["_links"] = links
    return details


def _counterparty(tx: Transaction) -> JsonDict:
    name = tx.counterparty_name or tx.merchant
    party: JsonDict = {}
    role = "creditor" if tx.amount < 0 else "debtor"
    if name:
        party[f"{role}Name"] = name[:_NAME_MAX]
    if tx.counterparty_iban:
        party[f"{role}Account"] = {"iban": tx.counterparty_iban}
    return party


def transaction(tx: Transaction, account_path_: str) -> JsonDict:
    """A ``transactions`` object of an account report."""
    entry: JsonDict = {
        "transactionId": tx.id,
        "entryReference": tx.entry_reference[:_ID_MAX],
    }
    if tx.booking_date is not None:
        entry["bookingDate"] = tx.booking_date.isoformat()
    entry["valueDate"] = tx.value_date.isoformat()
    entry["transactionAmount"] = money(tx.amount, tx.currency)
    entry.update(_counterparty(tx))
    if tx.remittance:
        entry["remittanceInformationUnstructured"] = tx.remittance[:_REMITTANCE_MAX]
    if tx.bank_transaction_code:
        entry["bankTransactionCode"] = tx.bank_transaction_code
    entry["_links"] = {"transactionDetails": href(f"{account_path_}/transactions/{tx.id}")}
    return entry


def card_transaction(tx: Transaction, masked_pan: str | None) -> JsonDict:
    """A ``cardTransaction`` object of a card account report."""
    entry: JsonDict = {"cardTransactionId": tx.id[:_ID_MAX]}
    if tx.terminal_id:
        entry["terminalId"] = tx.terminal_id[:_ID_MAX]
    entry["transactionDate"] = (tx.transaction_date or tx.value_date).isoformat()
    if tx.booking_date is not None:
        entry["bookingDate"] = tx.booking_date.isoformat()
    entry["valueDate"] = tx.value_date.isoformat()
    entry["transactionAmount"] = money(tx.amount, tx.currency)
    if tx.country:
        address: JsonDict = {"country": tx.country}
        if tx.city:
            address["townName"] = tx.city
        entry["cardAcceptorAddress"] = address
    if tx.mcc and len(tx.mcc) == 4:
        entry["merchantCategoryCode"] = tx.mcc
    if masked_pan:
        entry["maskedPAN"] = masked_pan
    description = tx.merchant or tx.counterparty_name or tx.remittance
    if description:
        entry["transactionDetails"] = description[:1000]
    return entry


def transaction_page(
    entries: Iterable[Transaction],
    account: Account,
    account_path_: str,
    masked_pans: dict[str, str],
) -> tuple[list[JsonDict], list[JsonDict]]:
    """Booked and pending entries of one page, each serialised for the account's kind."""
    booked: list[JsonDict] = []
    pending: list[JsonDict] = []
    for tx in entries:
        target = booked if tx.status is BookingStatus.BOOKED else pending
        if account.is_card_account:
            pan = masked_pans.get(tx.card_id or "") or account.masked_pan
            target.append(card_transaction(tx, pan))
        else:
            target.append(transaction(tx, account_path_))
    return booked, pending
