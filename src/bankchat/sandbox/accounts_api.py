"""NextGenPSD2 account information reads: /v1/accounts and /v1/card-accounts.

Every read presents a Consent-ID; :mod:`bankchat.sandbox.consents` decides whether it
covers the read and counts it. Payment accounts are served under /accounts only and card
accounts under /card-accounts only.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from bankchat.sandbox import serialize
from bankchat.sandbox.consents import (
    ACCOUNT_LIST_KEY,
    CARD_ACCOUNT_LIST_KEY,
    Scope,
    authorise_read,
    check_coverage,
    count_read,
    is_list_only,
    valid_consent,
)
from bankchat.sandbox.deps import BankDep, PsuIpDep, RequestIdDep, WorldDep
from bankchat.sandbox.errors import Psd2Error, format_error, resource_unknown
from bankchat.sandbox.model import Account, Bank, BookingStatus, Consent, Transaction
from bankchat.sandbox.references import account_reference
from bankchat.sandbox.world import World

router = APIRouter(prefix="/banks/{bank_id}/v1")

PAGE_SIZE = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNSUPPORTED_BOOKING_STATUS = ("information", "all")
_BOOKING_STATUS = ("booked", "pending", "both")
# The query parameter of the page links that proves a request continues a counted read.
_CURSOR = "cursor"

AccountIdPath = Annotated[str, Path(max_length=128)]
WithBalance = Annotated[bool, Query(alias="withBalance")]


async def require_consent_id(
    consent_id: Annotated[str | None, Header(alias="Consent-ID", max_length=128)] = None,
) -> str:
    if not consent_id:
        raise format_error("header Consent-ID is missing", "Consent-ID")
    return consent_id


ConsentIdDep = Annotated[str, Depends(require_consent_id)]


@dataclass(frozen=True, slots=True)
class _Read:
    """A checked read: the bank, the consent, and whether the PSU is present."""

    world: World
    bank: Bank
    consent: Consent
    psu_present: bool


async def _read(
    world: WorldDep,
    bank: BankDep,
    _request_id: RequestIdDep,
    consent_id: ConsentIdDep,
    psu_ip: PsuIpDep,
) -> _Read:
    return _Read(world, bank, valid_consent(world, bank, consent_id), psu_ip is not None)


ReadDep = Annotated[_Read, Depends(_read)]


def _account(read: _Read, account_id: str, *, card: bool) -> Account:
    account = read.world.accounts.get(account_id)
    if account is None or account.bank_id != read.bank.id or account.is_card_account != card:
        raise resource_unknown(f"no {'card ' if card else ''}account {account_id!r}")
    return account


def _account_list(read: _Read, *, card: bool, with_balance: bool) -> list[dict[str, Any]]:
    list_key = CARD_ACCOUNT_LIST_KEY if card else ACCOUNT_LIST_KEY
    count_read(read.world, read.consent, list_key, psu_present=read.psu_present)
    consent = read.consent
    details = []
    for account_id in sorted(consent.account_ids):
        account = read.world.accounts[account_id]
        if account.is_card_account == card:
            details.append(_details(read, account, with_balance=with_balance))
    return details


def _details(read: _Read, account: Account, *, with_balance: bool) -> dict[str, Any]:
    consent = read.consent
    listed_only = is_list_only(consent)
    balances_granted = account.id in consent.balance_account_ids
    return serialize.account_details(
        read.bank,
        account,
        with_balances=(
            serialize.balances(read.world, account) if with_balance and balances_granted else None
        ),
        balances_link=balances_granted and not listed_only,
        transactions_link=account.id in consent.transaction_account_ids and not listed_only,
    )


@router.get("/accounts")
async def read_account_list(read: ReadDep, with_balance: WithBalance = False) -> dict[str, Any]:
    """The payment accounts the consent covers."""
    return {"accounts": _account_list(read, card=False, with_balance=with_balance)}


@router.get("/card-accounts")
async def read_card_account_list(
    read: ReadDep, with_balance: WithBalance = False
) -> dict[str, Any]:
    """The card accounts the consent covers."""
    return {"cardAccounts": _account_list(read, card=True, with_balance=with_balance)}


@router.get("/accounts/{account_id}")
async def read_account_details(
    read: ReadDep, account_id: AccountIdPath, with_balance: WithBalance = False
) -> dict[str, Any]:
    account = _account(read, account_id, card=False)
    authorise_read(read.world, read.consent, Scope.DETAILS, account, psu_present=read.psu_present)
    return {"account": _details(read, account, with_balance=with_balance)}


@router.get("/card-accounts/{account_id}")
async def read_card_account_details(
    read: ReadDep, account_id: AccountIdPath, with_balance: WithBalance = False
) -> dict[str, Any]:
    account = _account(read, account_id, card=True)
    authorise_read(read.world, read.consent, Scope.DETAILS, account, psu_present=read.psu_present)
    return {"cardAccount": _details(read, account, with_balance=with_balance)}


@router.get("/accounts/{account_id}/balances")
async def read_balances(read: ReadDep, account_id: AccountIdPath) -> dict[str, Any]:
    account = _account(read, account_id, card=False)
    authorise_read(read.world, read.consent, Scope.BALANCES, account, psu_present=read.psu_present)
    return {
        "account": account_reference(account),
        "balances": serialize.balances(read.world, account),
    }


@router.get("/card-accounts/{account_id}/balances")
async def read_card_balances(read: ReadDep, account_id: AccountIdPath) -> dict[str, Any]:
    account = _account(read, account_id, card=True)
    authorise_read(read.world, read.consent, Scope.BALANCES, account, psu_present=read.psu_present)
    return {
        "cardAccount": account_reference(account),
        "debitAccounting": False,
        "balances": serialize.balances(read.world, account),
    }


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise format_error(f"{name} must be a date YYYY-MM-DD, got {value[:20]!r}", name) from None


@dataclass(frozen=True, slots=True)
class _ReportQuery:
    booking_status: str
    date_from: date | None
    date_to: date
    entry_reference_from: str | None
    page_index: int
    with_balance: bool
    cursor: str | None


async def _report_query(
    booking_status: Annotated[str, Query(alias="bookingStatus", max_length=20)],
    date_from: Annotated[str | None, Query(alias="dateFrom", max_length=20)] = None,
    date_to: Annotated[str | None, Query(alias="dateTo", max_length=20)] = None,
    entry_reference_from: Annotated[
        str | None, Query(alias="entryReferenceFrom", max_length=35)
    ] = None,
    delta_list: Annotated[bool, Query(alias="deltaList")] = False,
    page_index: Annotated[int, Query(alias="pageIndex", ge=0, le=1_000_000)] = 0,
    with_balance: WithBalance = False,
    cursor: Annotated[str | None, Query(alias=_CURSOR, max_length=100)] = None,
) -> _ReportQuery:
    if booking_status in _UNSUPPORTED_BOOKING_STATUS:
        raise Psd2Error(
            400,
            "PARAMETER_NOT_SUPPORTED",
            f"bookingStatus {booking_status!r} is not supported",
            path="bookingStatus",
        )
    if booking_status not in _BOOKING_STATUS:
        raise format_error("bookingStatus must be booked, pending or both", "bookingStatus")
    if delta_list:
        raise Psd2Error(
            400, "PARAMETER_NOT_SUPPORTED", "deltaList is not supported", path="deltaList"
        )
    start = _parse_date(date_from, "dateFrom")
    end = _parse_date(date_to, "dateTo")
    if start is None and entry_reference_from is None:
        raise format_error("dateFrom is required", "dateFrom")
    if start is not None and end is not None and start > end:
        raise Psd2Error(400, "PERIOD_INVALID", "dateFrom lies after dateTo", path="dateFrom")
    return _ReportQuery(
        booking_status,
        start,
        end or date.max,
        entry_reference_from,
        page_index,
        with_balance,
        cursor,
    )


ReportQueryDep = Annotated[_ReportQuery, Depends(_report_query)]


def _window(world: World, account: Account, query: _ReportQuery) -> list[Transaction]:
    """The account's entries the query asks for, newest first, pending before booked."""
    entries = world.transactions[account.id]
    if query.entry_reference_from is not None:
        position = next(
            (i for i, tx in enumerate(entries) if tx.entry_reference == query.entry_reference_from),
            None,
        )
        if position is None:
            raise format_error(
                "entryReferenceFrom names no entry of this account", "entryReferenceFrom"
            )
        selected = entries[position + 1 :]
    else:
        assert query.date_from is not None
        low = bisect.bisect_left(entries, query.date_from, key=lambda tx: tx.sort_date)
        high = bisect.bisect_right(entries, query.date_to, key=lambda tx: tx.sort_date)
        selected = entries[low:high]
    newest_first = selected[::-1]
    pending = [tx for tx in newest_first if tx.status is BookingStatus.PENDING]
    booked = [tx for tx in newest_first if tx.status is BookingStatus.BOOKED]
    if query.booking_status == "booked":
        return booked
    if query.booking_status == "pending":
        return pending
    return pending + booked


def _walk_params(request: Request) -> list[tuple[str, str]]:
    """The query that defines a read, whatever page of it is asked for."""
    return [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("pageIndex", _CURSOR)
    ]


def _walk_cursor(request: Request, read: _Read, account: Account) -> str:
    """What proves a page request continues a read already counted today: a MAC of the
    consent, the account, the query and the day under a secret of this app."""
    walk = "\n".join(
        (
            read.consent.id,
            account.id,
            urlencode(sorted(_walk_params(request))),
            str(read.world.today()),
        )
    )
    mac = hmac.new(request.app.state.page_walk_secret, walk.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def _page_links(request: Request, page_index: int, last: int, cursor: str) -> dict[str, Any]:
    params = _walk_params(request)

    def link(index: int) -> dict[str, str]:
        query = urlencode([*params, ("pageIndex", index), (_CURSOR, cursor)])
        return serialize.href(f"{request.url.path}?{query}")

    links: dict[str, Any] = {}
    if last > 0:
        links["first"] = link(0)
        links["last"] = link(last)
    if page_index > 0:
        links["previous"] = link(page_index - 1)
    if page_index < last:
        links["next"] = link(page_index + 1)
    return links


def _report(
    request: Request, read: _Read, account: Account, query: _ReportQuery
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The transaction report of one page and the balances if asked for."""
    check_coverage(read.consent, Scope.TRANSACTIONS, account)
    start = query.page_index * PAGE_SIZE
    window = _window(read.world, account, query)
    last = max(0, (len(window) - 1) // PAGE_SIZE)
    if query.page_index > last:
        raise format_error(f"pageIndex must not exceed {last}", "pageIndex")
    cursor = _walk_cursor(request, read, account)
    # Following the page links of a counted read is part of that read; any other request,
    # whatever its pageIndex, is a read of its own.
    continues = query.cursor is not None and hmac.compare_digest(
        query.cursor.encode(errors="replace"), cursor.encode()
    )
    if not continues:
        count_read(read.world, read.consent, account.id, psu_present=read.psu_present)
    path = serialize.account_path(read.bank, account)
    masked_pans = (
        {
            card.id: card.masked_pan
            for card in read.world.cards.values()
            if card.account_id == account.id
        }
        if account.is_card_account
        else {}
    )
    booked, pending = serialize.transaction_page(
        window[start : start + PAGE_SIZE], account, path, masked_pans
    )
    report: dict[str, Any] = {}
    if query.booking_status != "pending":
        report["booked"] = booked
    if query.booking_status != "booked":
        report["pending"] = pending
    account_link = "cardAccount" if account.is_card_account else "account"
    report["_links"] = {
        account_link: serialize.href(path),
        **_page_links(request, query.page_index, last, cursor),
    }
    balances = None
    if query.with_balance and account.id in read.consent.balance_account_ids:
        balances = {"balances": serialize.balances(read.world, account)}
    return report, balances


# The transaction reports are built from JSON-native values (strings, lists, dicts), so
# they go out as JSONResponse directly: FastAPI's generic encoder would walk every entry
# of a 100-transaction page again, which cost more than building it.
@router.get("/accounts/{account_id}/transactions", response_class=JSONResponse)
async def read_transactions(
    request: Request, read: ReadDep, account_id: AccountIdPath, query: ReportQueryDep
) -> JSONResponse:
    account = _account(read, account_id, card=False)
    report, balances = _report(request, read, account, query)
    return JSONResponse(
        {"account": account_reference(account), "transactions": report, **(balances or {})}
    )


@router.get("/card-accounts/{account_id}/transactions", response_class=JSONResponse)
async def read_card_transactions(
    request: Request, read: ReadDep, account_id: AccountIdPath, query: ReportQueryDep
) -> JSONResponse:
    account = _account(read, account_id, card=True)
    report, balances = _report(request, read, account, query)
    return JSONResponse(
        {
            "cardAccount": account_reference(account),
            "debitAccounting": False,
            "cardTransactions": report,
            **(balances or {}),
        }
    )


@router.get("/accounts/{account_id}/transactions/{transaction_id}")
async def read_transaction_details(
    read: ReadDep,
    account_id: AccountIdPath,
    transaction_id: Annotated[str, Path(max_length=128)],
) -> dict[str, Any]:
    account = _account(read, account_id, card=False)
    check_coverage(read.consent, Scope.TRANSACTIONS, account)
    tx = read.world.transaction_index.get(transaction_id)
    if tx is None or tx.account_id != account.id:
        raise resource_unknown(f"no transaction {transaction_id!r} on this account")
    count_read(read.world, read.consent, account.id, psu_present=read.psu_present)
    path = serialize.account_path(read.bank, account)
    return {"transactionsDetails": serialize.transaction(tx, path)}
