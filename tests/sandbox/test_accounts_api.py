"""Account information reads over real HTTP: accounts, balances, transactions, under the
rules of the consent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.model import BookingStatus, Category, FraudPattern, Transaction
from bankchat.sandbox.serialize import money
from bankchat.sandbox.world import World
from tests.sandbox.consent_flow import (
    TODAY,
    approved_consent,
    create_consent,
    error_code,
    explicit_access,
    iban,
    read_headers,
)

ACCOUNTS = "/banks/nordbank/v1/accounts"
CARD_ACCOUNTS = "/banks/nordbank/v1/card-accounts"
CHECKING = "nordbank-c1-chk"
CARD = "nordbank-c1-card"
ALL_PSD2 = {"allPsd2": "allAccounts"}
SINCE = (TODAY - timedelta(days=365)).isoformat()


async def all_psd2(client: httpx.AsyncClient, **overrides: Any) -> str:
    return await approved_consent(client, ALL_PSD2, **overrides)


def amounts(balances: list[dict[str, Any]]) -> dict[str, str]:
    return {b["balanceType"]: b["balanceAmount"]["amount"] for b in balances}


async def transactions(
    client: httpx.AsyncClient, consent_id: str, account: str = CHECKING, **params: str
) -> httpx.Response:
    query = {"bookingStatus": "both", "dateFrom": SINCE, **params}
    return await client.get(
        f"{ACCOUNTS}/{account}/transactions", params=query, headers=read_headers(consent_id)
    )


def add_booked(world: World, account_id: str, count: int) -> None:
    account = world.accounts[account_id]
    for n in range(count):
        day = TODAY - timedelta(days=60) + timedelta(days=n % 50)
        world.record(
            Transaction(
                id=f"{account_id}-extra-{n}",
                account_id=account_id,
                entry_reference=f"extra-{n}",
                amount=Decimal("1.00"),
                currency=account.currency,
                status=BookingStatus.BOOKED,
                value_date=day,
                booking_date=day,
                category=Category.INCOME,
            ),
            notify=False,
        )


async def test_account_list_shows_the_consented_payment_accounts(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(ACCOUNTS, headers=read_headers(consent_id))
    listed = {a["resourceId"]: a for a in response.json()["accounts"]}
    assert set(listed) == {CHECKING, "nordbank-c1-sav"}
    assert listed[CHECKING]["iban"] == iban(world, CHECKING)
    assert listed[CHECKING]["cashAccountType"] == "CACC"
    assert listed[CHECKING]["_links"]["balances"]["href"] == f"{ACCOUNTS}/{CHECKING}/balances"


async def test_account_list_with_balance_carries_balances(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        ACCOUNTS, params={"withBalance": "true"}, headers=read_headers(consent_id)
    )
    [checking] = [a for a in response.json()["accounts"] if a["resourceId"] == CHECKING]
    assert amounts(checking["balances"])["closingBooked"] == "2457.90"


async def test_card_account_list_shows_only_card_accounts(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(CARD_ACCOUNTS, headers=read_headers(consent_id))
    [card] = response.json()["cardAccounts"]
    assert card["resourceId"] == CARD
    assert card["maskedPan"] == "4111********1111"
    assert card["creditLimit"] == {"currency": "EUR", "amount": "2000.00"}


async def test_balances_match_the_ledger(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(f"{ACCOUNTS}/{CHECKING}/balances", headers=read_headers(consent_id))
    balances = response.json()["balances"]
    assert amounts(balances) == {
        "closingBooked": "2457.90",
        "expected": "2445.40",
        "interimAvailable": "2945.40",
    }
    assert [b.get("creditLimitIncluded") for b in balances] == [None, None, True]


async def test_closing_booked_leaves_out_todays_bookings(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await all_psd2(client)
    world.book(f"{CHECKING}-groc-1", TODAY)
    response = await client.get(f"{ACCOUNTS}/{CHECKING}/balances", headers=read_headers(consent_id))
    assert amounts(response.json()["balances"])["closingBooked"] == "2457.90"
    assert amounts(response.json()["balances"])["expected"] == "2445.40"


async def test_card_balances_include_the_credit_limit(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{CARD_ACCOUNTS}/{CARD}/balances", headers=read_headers(consent_id)
    )
    assert amounts(response.json()["balances"]) == {
        "closingBooked": "-35.00",
        "expected": "-35.00",
        "interimAvailable": "1965.00",
    }


async def test_account_details_of_a_consented_account(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(f"{ACCOUNTS}/{CHECKING}", headers=read_headers(consent_id))
    assert response.json()["account"]["iban"] == iban(world, CHECKING)


async def test_booked_transactions_come_newest_first(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, bookingStatus="booked")
    report = response.json()["transactions"]
    assert [t["transactionAmount"]["amount"] for t in report["booked"]] == ["-42.10", "2500.00"]
    assert "pending" not in report
    assert report["_links"]["account"]["href"] == f"{ACCOUNTS}/{CHECKING}"


async def test_pending_only_lists_pending_transactions(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, bookingStatus="pending")
    report = response.json()["transactions"]
    assert [t["transactionAmount"]["amount"] for t in report["pending"]] == ["-12.50"]
    assert "booked" not in report


async def test_transaction_names_the_counterparty(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, bookingStatus="booked")
    debit, credit = response.json()["transactions"]["booked"]
    assert debit["creditorName"] == "Markt 24"
    assert credit["debtorName"] == "Employer GmbH"
    assert debit["bookingDate"] == (TODAY - timedelta(days=3)).isoformat()
    assert debit["entryReference"] == f"ref-{CHECKING}-groc-0"


async def test_date_window_limits_the_transactions(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(
        client,
        consent_id,
        bookingStatus="booked",
        dateFrom=(TODAY - timedelta(days=5)).isoformat(),
        dateTo=(TODAY - timedelta(days=1)).isoformat(),
    )
    assert [t["transactionId"] for t in response.json()["transactions"]["booked"]] == [
        f"{CHECKING}-groc-0"
    ]


async def test_transactions_with_balance_carry_balances(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, withBalance="true")
    assert amounts(response.json()["balances"])["expected"] == "2445.40"


async def test_entry_reference_from_lists_later_entries(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions",
        params={"bookingStatus": "both", "entryReferenceFrom": f"ref-{CHECKING}-income-0"},
        headers=read_headers(consent_id),
    )
    report = response.json()["transactions"]
    assert [t["transactionId"] for t in report["booked"] + report["pending"]] == [
        f"{CHECKING}-groc-0",
        f"{CHECKING}-groc-1",
    ]


async def test_transaction_details(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions/{CHECKING}-groc-0", headers=read_headers(consent_id)
    )
    assert response.json()["transactionsDetails"]["transactionAmount"]["amount"] == "-42.10"


async def test_transaction_of_another_account_is_not_found(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions/{CARD}-rest-0", headers=read_headers(consent_id)
    )
    assert response.status_code == 404


async def test_card_transactions_use_the_card_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    tx = world.transaction_index[f"{CARD}-rest-0"]
    tx.city, tx.country, tx.mcc, tx.card_id = "Berlin", "DE", "5812", "nordbank-c1-cardid"
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{CARD_ACCOUNTS}/{CARD}/transactions",
        params={"bookingStatus": "booked", "dateFrom": SINCE},
        headers=read_headers(consent_id),
    )
    [entry] = response.json()["cardTransactions"]["booked"]
    assert entry["cardTransactionId"] == f"{CARD}-rest-0"
    assert entry["cardAcceptorAddress"] == {"country": "DE", "townName": "Berlin"}
    assert entry["merchantCategoryCode"] == "5812"
    assert entry["maskedPAN"] == "4111********1111"
    assert entry["transactionDetails"] == "Trattoria Test"


async def test_paging_walks_every_transaction_once(client: httpx.AsyncClient, world: World) -> None:
    add_booked(world, CHECKING, 250)
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, bookingStatus="booked")
    seen: list[str] = []
    pages = 0
    while True:
        report = response.json()["transactions"]
        seen.extend(t["transactionId"] for t in report["booked"])
        pages += 1
        if "next" not in report["_links"]:
            break
        response = await client.get(
            report["_links"]["next"]["href"], headers=read_headers(consent_id)
        )
    assert pages == 3
    assert len(seen) == len(set(seen)) == 252


async def test_pages_link_first_and_last(client: httpx.AsyncClient, world: World) -> None:
    add_booked(world, CHECKING, 150)
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, bookingStatus="booked", pageIndex="1")
    links = response.json()["transactions"]["_links"]
    assert "pageIndex=0" in links["first"]["href"]
    assert "pageIndex=0" in links["previous"]["href"]
    assert "pageIndex=1" in links["last"]["href"]
    assert "next" not in links


async def test_fraud_label_is_never_on_the_wire(client: httpx.AsyncClient, world: World) -> None:
    for tx_id in (f"{CHECKING}-groc-0", f"{CHECKING}-groc-1", f"{CARD}-rest-0"):
        world.transaction_index[tx_id].fraud = FraudPattern.COMPROMISED_CARD
    consent_id = await all_psd2(client)
    bodies = [
        (await transactions(client, consent_id)).text,
        (
            await client.get(
                f"{ACCOUNTS}/{CHECKING}/transactions/{CHECKING}-groc-0",
                headers=read_headers(consent_id),
            )
        ).text,
        (
            await client.get(
                f"{CARD_ACCOUNTS}/{CARD}/transactions",
                params={"bookingStatus": "both", "dateFrom": SINCE},
                headers=read_headers(consent_id),
            )
        ).text,
    ]
    for body in bodies:
        assert "fraud" not in body.lower()
        assert "compromised" not in body.lower()


# -- errors ---------------------------------------------------------------------------


async def test_read_without_consent_id_is_a_format_error(client: httpx.AsyncClient) -> None:
    request_headers = read_headers("x")
    del request_headers["Consent-ID"]
    response = await client.get(ACCOUNTS, headers=request_headers)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_unknown_consent_is_consent_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get(ACCOUNTS, headers=read_headers("no-such-consent"))
    assert response.status_code == 403
    assert error_code(response) == "CONSENT_UNKNOWN"


async def test_consent_not_yet_authorised_is_invalid(
    client: httpx.AsyncClient, world: World
) -> None:
    created = await create_consent(client, explicit_access(world, CHECKING))
    response = await client.get(ACCOUNTS, headers=read_headers(created["consentId"]))
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_expired_consent_is_consent_expired(client: httpx.AsyncClient, world: World) -> None:
    consent_id = await all_psd2(client, validUntil="2026-11-25")
    world.clock = lambda: datetime(2026, 11, 26, 8, tzinfo=UTC)
    response = await client.get(ACCOUNTS, headers=read_headers(consent_id))
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_EXPIRED"


async def test_deleted_consent_is_invalid(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    await client.delete(
        f"/banks/nordbank/v1/consents/{consent_id}",
        headers={"X-Request-ID": read_headers("")["X-Request-ID"]},
    )
    response = await client.get(ACCOUNTS, headers=read_headers(consent_id))
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_account_outside_the_consent_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await approved_consent(client, explicit_access(world, CHECKING))
    response = await client.get(
        f"{ACCOUNTS}/nordbank-c1-sav/balances", headers=read_headers(consent_id)
    )
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_balances_need_a_balance_consent(client: httpx.AsyncClient, world: World) -> None:
    reference = [{"iban": iban(world, CHECKING)}]
    consent_id = await approved_consent(client, {"accounts": reference})
    response = await client.get(f"{ACCOUNTS}/{CHECKING}/balances", headers=read_headers(consent_id))
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_list_only_consent_does_not_open_the_account(client: httpx.AsyncClient) -> None:
    consent_id = await approved_consent(client, {"availableAccounts": "allAccounts"})
    listing = await client.get(ACCOUNTS, headers=read_headers(consent_id))
    details = await client.get(f"{ACCOUNTS}/{CHECKING}", headers=read_headers(consent_id))
    assert len(listing.json()["accounts"]) == 2
    assert details.status_code == 401


async def test_card_account_is_not_served_under_accounts(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(f"{ACCOUNTS}/{CARD}", headers=read_headers(consent_id))
    assert response.status_code == 404
    assert error_code(response) == "RESOURCE_UNKNOWN"


async def test_payment_account_is_not_served_under_card_accounts(
    client: httpx.AsyncClient,
) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(f"{CARD_ACCOUNTS}/{CHECKING}", headers=read_headers(consent_id))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"dateFrom": "2026-13-01"}, "FORMAT_ERROR"),
        ({"dateFrom": "yesterday"}, "FORMAT_ERROR"),
        ({"dateFrom": "2026-11-10", "dateTo": "2026-11-01"}, "PERIOD_INVALID"),
        ({"dateFrom": ""}, "FORMAT_ERROR"),
        ({"bookingStatus": "information"}, "PARAMETER_NOT_SUPPORTED"),
        ({"bookingStatus": "sometimes"}, "FORMAT_ERROR"),
        ({"pageIndex": "7"}, "FORMAT_ERROR"),
        ({"deltaList": "true"}, "PARAMETER_NOT_SUPPORTED"),
    ],
)
async def test_bad_transaction_query_is_refused(
    client: httpx.AsyncClient, params: dict[str, str], code: str
) -> None:
    consent_id = await all_psd2(client)
    response = await transactions(client, consent_id, **params)
    assert response.status_code == 400
    assert error_code(response) == code


async def test_missing_date_from_is_refused(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions",
        params={"bookingStatus": "booked"},
        headers=read_headers(consent_id),
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_reads_without_the_psu_are_limited_per_day(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=2)
    url = f"{ACCOUNTS}/{CHECKING}/balances"
    answers = [
        (await client.get(url, headers=read_headers(consent_id, psu_present=False))).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 429]
    refused = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    assert error_code(refused) == "ACCESS_EXCEEDED"


async def test_reads_with_the_psu_present_are_not_limited(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=1)
    url = f"{ACCOUNTS}/{CHECKING}/balances"
    await client.get(url, headers=read_headers(consent_id, psu_present=False))
    refused = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    present = await client.get(url, headers=read_headers(consent_id))
    assert refused.status_code == 429
    assert present.status_code == 200


async def test_walking_further_pages_counts_as_one_read(
    client: httpx.AsyncClient, world: World
) -> None:
    add_booked(world, CHECKING, 150)
    consent_id = await all_psd2(client, frequencyPerDay=1)
    first = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions",
        params={"bookingStatus": "booked", "dateFrom": SINCE},
        headers=read_headers(consent_id, psu_present=False),
    )
    second = await client.get(
        first.json()["transactions"]["_links"]["next"]["href"],
        headers=read_headers(consent_id, psu_present=False),
    )
    fresh = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions",
        params={"bookingStatus": "booked", "dateFrom": SINCE},
        headers=read_headers(consent_id, psu_present=False),
    )
    assert second.status_code == 200
    assert fresh.status_code == 429


async def test_fresh_request_for_a_further_page_counts_as_a_read(
    client: httpx.AsyncClient, world: World
) -> None:
    add_booked(world, CHECKING, 150)
    consent_id = await all_psd2(client, frequencyPerDay=1)
    query = {"bookingStatus": "booked", "dateFrom": SINCE}
    url = f"{ACCOUNTS}/{CHECKING}/transactions"
    first = await client.get(url, params=query, headers=read_headers(consent_id, psu_present=False))
    further = await client.get(
        url, params={**query, "pageIndex": "1"}, headers=read_headers(consent_id, psu_present=False)
    )
    assert first.status_code == 200
    assert further.status_code == 429


async def test_page_link_of_one_period_does_not_open_another(
    client: httpx.AsyncClient, world: World
) -> None:
    add_booked(world, CHECKING, 150)
    consent_id = await all_psd2(client, frequencyPerDay=1)
    first = await client.get(
        f"{ACCOUNTS}/{CHECKING}/transactions",
        params={"bookingStatus": "booked", "dateFrom": SINCE},
        headers=read_headers(consent_id, psu_present=False),
    )
    next_href = first.json()["transactions"]["_links"]["next"]["href"]
    other_period = next_href.replace(f"dateFrom={SINCE}", f"dateFrom={TODAY - timedelta(days=90)}")
    response = await client.get(other_period, headers=read_headers(consent_id, psu_present=False))
    assert other_period != next_href
    assert response.status_code == 429


async def test_refused_read_is_not_counted(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=1)
    url = f"{ACCOUNTS}/{CHECKING}/transactions"
    refused = await client.get(
        url,
        params={"bookingStatus": "booked", "entryReferenceFrom": "no-such-entry"},
        headers=read_headers(consent_id, psu_present=False),
    )
    allowed = await client.get(
        url,
        params={"bookingStatus": "booked", "dateFrom": SINCE},
        headers=read_headers(consent_id, psu_present=False),
    )
    assert refused.status_code == 400
    assert allowed.status_code == 200


async def test_the_limit_counts_per_account(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=1)
    url = f"{ACCOUNTS}/{CHECKING}/balances"
    await client.get(url, headers=read_headers(consent_id, psu_present=False))
    again = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    other = await client.get(
        f"{ACCOUNTS}/nordbank-c1-sav/balances", headers=read_headers(consent_id, psu_present=False)
    )
    assert again.status_code == 429
    assert other.status_code == 200


async def test_account_and_card_account_lists_are_limited_separately(
    client: httpx.AsyncClient,
) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=1)
    accounts = await client.get(ACCOUNTS, headers=read_headers(consent_id, psu_present=False))
    cards = await client.get(CARD_ACCOUNTS, headers=read_headers(consent_id, psu_present=False))
    accounts_again = await client.get(ACCOUNTS, headers=read_headers(consent_id, psu_present=False))
    assert (accounts.status_code, cards.status_code) == (200, 200)
    assert accounts_again.status_code == 429


async def test_read_with_an_invalid_psu_ip_address_is_refused(client: httpx.AsyncClient) -> None:
    consent_id = await all_psd2(client)
    response = await client.get(
        ACCOUNTS, headers={**read_headers(consent_id), "PSU-IP-Address": "not-an-ip"}
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    assert response.json()["tppMessages"][0]["path"] == "PSU-IP-Address"


async def test_the_limit_starts_afresh_the_next_day(
    client: httpx.AsyncClient, world: World
) -> None:
    consent_id = await all_psd2(client, frequencyPerDay=1)
    url = f"{ACCOUNTS}/{CHECKING}/balances"
    await client.get(url, headers=read_headers(consent_id, psu_present=False))
    same_day = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    world.clock = lambda: datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), UTC)
    response = await client.get(url, headers=read_headers(consent_id, psu_present=False))
    assert same_day.status_code == 429
    assert response.status_code == 200


async def test_reads_update_the_last_action_date(client: httpx.AsyncClient, world: World) -> None:
    consent_id = await all_psd2(client)
    world.clock = lambda: datetime(2026, 11, 22, 9, tzinfo=UTC)
    await client.get(ACCOUNTS, headers=read_headers(consent_id))
    assert world.consents[consent_id].last_action_date == date(2026, 11, 22)


@given(st.decimals(min_value=Decimal("-1e11"), max_value=Decimal("1e11"), places=2))
def test_amounts_are_strings_with_two_decimals(amount: Decimal) -> None:
    serialised = money(amount, "EUR")["amount"]
    assert re.fullmatch(r"-?[0-9]{1,14}\.[0-9]{2}", serialised)
    assert Decimal(serialised) == amount
