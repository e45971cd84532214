"""The NextGenPSD2 client: against the live sandbox bank over real HTTP (every response
checked against the official spec), and against a fake bank (``httpx.MockTransport``) only
for the faults the sandbox cannot produce: server errors, Retry-After, broken
connections, bodies that are not JSON, malformed entries, hostile page links."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from bankchat.banking.psd2_client import (
    AccountRef,
    InMemoryBudget,
    KindPath,
    Psd2Account,
    Psd2Client,
)
from bankchat.banking.psd2_errors import (
    AccessExceeded,
    BankUnavailable,
    BudgetExhausted,
    ConsentExpired,
    ConsentInvalid,
    ConsentUnknown,
    FormatError,
    Psd2Error,
    ResourceUnknown,
    consent_gone,
    error_for,
)
from bankchat.sandbox.model import BookingStatus, Category, Transaction
from bankchat.sandbox.world import World
from tests.conformance import Conformance
from tests.sandbox.consent_flow import (
    NOK_REDIRECT,
    PSU_IP,
    REDIRECT,
    TODAY,
    decide,
    form_token,
    iban,
    log_in,
)
from tests.tls import shared_tls

if TYPE_CHECKING:
    from tests.conftest import LiveSandbox

BANK = "nordbank"
CHECKING = "nordbank-c1-chk"
SAVINGS = "nordbank-c1-sav"
CARD = "nordbank-c1-card"
SINCE = TODAY - timedelta(days=365)


# -- the live sandbox -------------------------------------------------------------------


@dataclass
class LiveBank:
    """The client under test on the sandbox, the requests it sent, and the person's
    browser for the bank's pages."""

    psd2: Psd2Client
    requests: list[httpx.Request]
    browser: httpx.AsyncClient
    sandbox: LiveSandbox

    @property
    def world(self) -> World:
        return self.sandbox.world

    async def create(
        self,
        *,
        accounts: list[AccountRef] | None = None,
        balances: bool = True,
        transactions: bool = True,
        frequency: int = 4,
        valid_until: date = TODAY + timedelta(days=90),
    ) -> str:
        created = await self.psd2.create_consent(
            accounts=accounts,
            balances=balances,
            transactions=transactions,
            valid_until=valid_until,
            frequency_per_day=frequency,
            redirect_uri=REDIRECT,
            nok_redirect_uri=NOK_REDIRECT,
            psu_ip=PSU_IP,
        )
        return created.consent_id

    async def link(self, **options: Any) -> str:
        """A consent created by the client and approved by nordbank customer 1."""
        consent_id = await self.create(**options)
        consent = self.world.consents[consent_id]
        sca_url = f"/banks/{BANK}/sca/consents/{consent_id}/{consent.authorisation_id}"
        page = await log_in(self.browser, sca_url, "nordbank1", "pass-nordbank-1")
        approved = await decide(self.browser, sca_url, page, "approve")
        assert approved.status_code in (302, 303), approved.text
        return consent_id

    async def accounts(self, consent_id: str) -> dict[str, Psd2Account]:
        listed = await self.psd2.list_accounts(consent_id, psu_ip=PSU_IP)
        return {account.resource_id: account for account in listed}

    def sent(self, path_part: str) -> list[httpx.Request]:
        return [r for r in self.requests if path_part in r.url.path]


@pytest.fixture
async def bank(
    sandbox: LiveSandbox, client: httpx.AsyncClient, conformance: Conformance
) -> AsyncIterator[LiveBank]:
    requests: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        requests.append(request)

    async with httpx.AsyncClient(
        event_hooks={"request": [count], "response": [conformance.hook]},
        timeout=10,
        verify=shared_tls(),
    ) as http:
        yield LiveBank(Psd2Client(http, sandbox.bank_url(BANK)), requests, client, sandbox)


def add_booked(world: World, account_id: str, count: int, *, days: int = 50) -> None:
    account = world.accounts[account_id]
    for n in range(count):
        day = TODAY - timedelta(days=1 + n % days)
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
                counterparty_name="Payer",
                remittance=f"payment {n}",
            ),
            notify=False,
        )


async def revoke_in_online_banking(browser: httpx.AsyncClient, consent_id: str) -> None:
    banking = f"/banks/{BANK}/online-banking"
    page = await browser.get(banking, params={"lang": "en"})
    listing = await browser.post(
        banking,
        params={"lang": "en"},
        data={"token": form_token(page.text), "login": "nordbank1", "password": "pass-nordbank-1"},
    )
    revoked = await browser.post(
        f"{banking}/revoke",
        params={"lang": "en"},
        data={"token": form_token(listing.text), "consent_id": consent_id},
    )
    assert revoked.status_code == 200


def wire_account(resource_id: str, kind: KindPath = "accounts") -> Psd2Account:
    """An account known only by its resource id, as a sync knows it."""
    return Psd2Account(
        resource_id=resource_id,
        kind_path=kind,
        iban=None,
        bban=None,
        masked_pan=None,
        name=None,
        product=None,
        currency="EUR",
        cash_account_type=None,
        owner_name=None,
        credit_limit=None,
    )


# -- consents at the sandbox ------------------------------------------------------------


async def test_create_consent_hands_out_the_banks_login_page(bank: LiveBank) -> None:
    created = await bank.psd2.create_consent(
        accounts=None,
        balances=True,
        transactions=True,
        valid_until=TODAY + timedelta(days=90),
        frequency_per_day=4,
        redirect_uri=REDIRECT,
        nok_redirect_uri=NOK_REDIRECT,
        psu_ip=PSU_IP,
    )
    assert created.status == "received"
    authorisation = bank.world.consents[created.consent_id].authorisation_id
    assert created.sca_redirect == (
        f"{bank.sandbox.bank_url(BANK)}/sca/consents/{created.consent_id}/{authorisation}"
    )


async def test_create_consent_sends_the_redirects_and_the_persons_ip(bank: LiveBank) -> None:
    await bank.create()
    [request] = bank.requests
    assert request.headers["PSU-IP-Address"] == PSU_IP
    assert request.headers["TPP-Redirect-URI"] == REDIRECT
    assert request.headers["TPP-Nok-Redirect-URI"] == NOK_REDIRECT


async def test_bank_offered_consent_asks_only_for_the_scopes_wanted(bank: LiveBank) -> None:
    consent_id = await bank.create(balances=True, transactions=False)
    assert bank.world.consents[consent_id].access == {"accounts": [], "balances": []}


async def test_consent_naming_accounts_sends_their_references(bank: LiveBank) -> None:
    reference = {"iban": iban(bank.world, CHECKING)}
    consent_id = await bank.create(
        accounts=[AccountRef(iban=reference["iban"])], balances=False, transactions=True
    )
    assert bank.world.consents[consent_id].access == {
        "accounts": [reference],
        "transactions": [reference],
    }


async def test_every_call_sends_a_fresh_request_id(bank: LiveBank) -> None:
    consent_id = await bank.create()
    await bank.psd2.consent_status(consent_id)
    await bank.psd2.consent_status(consent_id)
    ids = [r.headers["X-Request-ID"] for r in bank.requests]
    assert len(ids) == len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)


async def test_consent_becomes_valid_when_the_person_approves(bank: LiveBank) -> None:
    waiting = await bank.create()
    approved = await bank.link()
    assert await bank.psd2.consent_status(waiting) == "received"
    assert await bank.psd2.consent_status(approved) == "valid"


async def test_get_consent_reports_what_the_person_granted(bank: LiveBank) -> None:
    consent_id = await bank.link(frequency=3, valid_until=TODAY + timedelta(days=30))
    info = await bank.psd2.get_consent(consent_id)
    accounts = await bank.accounts(consent_id)
    assert (info.status, info.frequency_per_day, info.recurring) == ("valid", 3, True)
    assert (info.valid_until, info.last_action_date) == (TODAY + timedelta(days=30), TODAY)
    assert info.links_accounts
    assert info.links_card_accounts
    assert AccountRef(masked_pan="4111********1111") in info.access.references()
    assert info.access.allows("balances", accounts[CHECKING])


async def test_get_consent_of_a_consent_naming_accounts(bank: LiveBank) -> None:
    reference = AccountRef(iban=iban(bank.world, CHECKING))
    consent_id = await bank.link(accounts=[reference], balances=False)
    info = await bank.psd2.get_consent(consent_id)
    accounts = await bank.accounts(consent_id)
    assert info.access.accounts == (reference,)
    assert info.access.balances is None
    assert not info.access.allows("balances", accounts[CHECKING])
    assert info.access.allows("transactions", accounts[CHECKING])
    assert not info.links_card_accounts


# -- account information at the sandbox -------------------------------------------------


async def test_list_accounts_lists_payment_and_card_accounts(bank: LiveBank) -> None:
    accounts = await bank.accounts(await bank.link())
    assert set(accounts) == {CHECKING, SAVINGS, CARD}
    checking, card = accounts[CHECKING], accounts[CARD]
    assert (checking.kind_path, checking.iban, checking.currency) == (
        "accounts",
        iban(bank.world, CHECKING),
        "EUR",
    )
    assert (checking.cash_account_type, checking.name, checking.product) == (
        "CACC",
        "Main account",
        "Girokonto",
    )
    assert (card.kind_path, card.masked_pan, card.iban) == (
        "card-accounts",
        "4111********1111",
        None,
    )
    assert card.credit_limit == Decimal("2000.00")


async def test_list_accounts_skips_the_card_list_a_consent_cannot_cover(bank: LiveBank) -> None:
    consent_id = await bank.link(accounts=[AccountRef(iban=iban(bank.world, CHECKING))])
    bank.requests.clear()
    accounts = await bank.psd2.list_accounts(consent_id, psu_ip=PSU_IP)
    assert [a.resource_id for a in accounts] == [CHECKING]
    assert bank.sent("/v1/card-accounts") == []


async def test_list_accounts_can_reuse_the_consent_just_read(bank: LiveBank) -> None:
    consent_id = await bank.link()
    info = await bank.psd2.get_consent(consent_id)
    bank.requests.clear()
    accounts = await bank.psd2.list_accounts(consent_id, psu_ip=PSU_IP, consent=info)
    assert len(accounts) == 3
    assert bank.sent("/v1/consents") == []


async def test_balances_of_a_payment_account(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    balances = await bank.psd2.balances(consent_id, account, psu_ip=PSU_IP)
    assert {b.balance_type: b.amount for b in balances} == {
        "closingBooked": Decimal("2457.90"),
        "expected": Decimal("2445.40"),
        "interimAvailable": Decimal("2945.40"),
    }
    available = balances[2]
    assert (available.currency, available.reference_date) == ("EUR", TODAY)
    assert available.credit_limit_included is True
    assert balances[0].credit_limit_included is None


async def test_balances_of_a_card_account(bank: LiveBank) -> None:
    consent_id = await bank.link()
    card = (await bank.accounts(consent_id))[CARD]
    balances = await bank.psd2.balances(consent_id, card, psu_ip=PSU_IP)
    assert {b.balance_type: b.amount for b in balances}["interimAvailable"] == Decimal("1965.00")
    assert bank.sent(f"/v1/card-accounts/{CARD}/balances")


async def test_transactions_bring_booked_and_pending_entries(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    records = await bank.psd2.transactions(consent_id, account, date_from=SINCE, psu_ip=PSU_IP)
    by_id = {r.transaction_id: r for r in records}
    pending = by_id[f"{CHECKING}-groc-1"]
    assert (pending.status, pending.amount, pending.booking_date) == (
        "pending",
        Decimal("-12.50"),
        None,
    )
    booked = by_id[f"{CHECKING}-groc-0"]
    assert (booked.status, booked.booking_date, booked.currency) == (
        "booked",
        TODAY - timedelta(days=3),
        "EUR",
    )
    assert booked.key == f"id:{CHECKING}-groc-0"
    assert booked.entry_reference == f"ref-{CHECKING}-groc-0"
    assert len(records) == 3


async def test_counterparty_is_the_creditor_of_a_debit_and_the_debtor_of_a_credit(
    bank: LiveBank,
) -> None:
    tx = bank.world.transaction_index[f"{CHECKING}-income-0"]
    tx.counterparty_iban, tx.remittance = "DE02120300000000202051", "Gehalt November"
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    records = await bank.psd2.transactions(consent_id, account, date_from=SINCE, psu_ip=PSU_IP)
    by_id = {r.transaction_id: r for r in records}
    debit, credit = by_id[f"{CHECKING}-groc-0"], by_id[f"{CHECKING}-income-0"]
    assert (debit.counterparty_name, debit.counterparty_iban) == ("Markt 24", None)
    assert (credit.counterparty_name, credit.counterparty_iban) == (
        "Employer GmbH",
        "DE02120300000000202051",
    )
    assert credit.remittance == "Gehalt November"


async def test_date_window_limits_the_transactions(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    records = await bank.psd2.transactions(
        consent_id,
        account,
        date_from=TODAY - timedelta(days=5),
        date_to=TODAY - timedelta(days=1),
        booking_status="booked",
        psu_ip=PSU_IP,
    )
    assert [r.transaction_id for r in records] == [f"{CHECKING}-groc-0"]


async def test_card_transactions_carry_the_card_fields(bank: LiveBank) -> None:
    tx = bank.world.transaction_index[f"{CARD}-rest-0"]
    tx.city, tx.country, tx.mcc, tx.card_id = "Berlin", "DE", "5812", "nordbank-c1-cardid"
    tx.terminal_id = "T-0042"
    consent_id = await bank.link()
    card = (await bank.accounts(consent_id))[CARD]
    [record] = await bank.psd2.transactions(consent_id, card, date_from=SINCE, psu_ip=PSU_IP)
    assert record.key == f"id:{CARD}-rest-0"
    assert (record.merchant, record.city, record.country, record.mcc) == (
        "Trattoria Test",
        "Berlin",
        "DE",
        "5812",
    )
    assert (record.masked_pan, record.terminal_id) == ("4111********1111", "T-0042")
    assert record.transaction_date == TODAY - timedelta(days=2)
    assert record.amount == Decimal("-35.00")


async def test_transactions_follow_every_page_link(bank: LiveBank) -> None:
    add_booked(bank.world, CHECKING, 250)
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    bank.requests.clear()
    records = await bank.psd2.transactions(consent_id, account, date_from=SINCE, psu_ip=PSU_IP)
    assert len(records) == len({r.key for r in records}) == 253
    assert len(bank.sent("/transactions")) == 3


async def test_a_page_walk_spends_the_budget_once(bank: LiveBank) -> None:
    add_booked(bank.world, CHECKING, 250)
    consent_id = await bank.link(frequency=1)
    account = (await bank.accounts(consent_id))[CHECKING]
    budget = InMemoryBudget(1, TODAY)
    records = await bank.psd2.transactions(consent_id, account, date_from=SINCE, budget=budget)
    assert len(records) == 253
    assert budget.used(CHECKING) == 1


async def test_unattended_reads_spend_the_budget(bank: LiveBank) -> None:
    consent_id = await bank.link(frequency=2)
    accounts = await bank.accounts(consent_id)
    budget = InMemoryBudget(2, TODAY)
    await bank.psd2.balances(consent_id, accounts[CHECKING], budget=budget)
    await bank.psd2.list_accounts(consent_id, budget=budget)
    assert budget.used(CHECKING) == 1
    assert (budget.used("/accounts"), budget.used("/card-accounts")) == (1, 1)


async def test_read_beyond_the_budget_is_not_sent(bank: LiveBank) -> None:
    consent_id = await bank.link(frequency=2)
    account = (await bank.accounts(consent_id))[CHECKING]
    budget = InMemoryBudget(2, TODAY)
    for _ in range(2):
        await bank.psd2.balances(consent_id, account, budget=budget)
    sent = len(bank.requests)
    with pytest.raises(BudgetExhausted):
        await bank.psd2.balances(consent_id, account, budget=budget)
    assert len(bank.requests) == sent


async def test_unattended_reads_do_not_claim_the_person_is_present(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    bank.requests.clear()
    await bank.psd2.balances(consent_id, account, budget=InMemoryBudget(4, TODAY))
    [request] = bank.requests
    assert "PSU-IP-Address" not in request.headers
    assert request.headers["Consent-ID"] == consent_id


async def test_reads_with_the_person_present_spend_nothing(bank: LiveBank) -> None:
    consent_id = await bank.link(frequency=1)
    account = (await bank.accounts(consent_id))[CHECKING]
    budget = InMemoryBudget(1, TODAY)
    for _ in range(3):
        await bank.psd2.balances(consent_id, account, psu_ip=PSU_IP, budget=budget)
    assert budget.used(CHECKING) == 0
    assert all(r.headers["PSU-IP-Address"] == PSU_IP for r in bank.sent("/balances"))


async def test_unattended_read_without_a_budget_is_refused_before_sending(
    bank: LiveBank,
) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    sent = len(bank.requests)
    with pytest.raises(ValueError, match="AccessBudget"):
        await bank.psd2.transactions(consent_id, account, date_from=SINCE)
    assert len(bank.requests) == sent


async def test_bank_refusal_over_frequency_is_access_exceeded_and_not_retried(
    bank: LiveBank,
) -> None:
    consent_id = await bank.link(frequency=1)
    account = (await bank.accounts(consent_id))[CHECKING]
    generous = InMemoryBudget(10, TODAY)
    await bank.psd2.balances(consent_id, account, budget=generous)
    with pytest.raises(AccessExceeded) as refused:
        await bank.psd2.balances(consent_id, account, budget=generous)
    assert (refused.value.status, refused.value.code) == (429, "ACCESS_EXCEEDED")
    assert len(bank.sent("/balances")) == 2


async def test_consent_deleted_by_us_is_invalid_for_reads(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    await bank.psd2.delete_consent(consent_id)
    with pytest.raises(ConsentInvalid) as refused:
        await bank.psd2.balances(consent_id, account, psu_ip=PSU_IP)
    assert consent_gone(refused.value)
    assert await bank.psd2.consent_status(consent_id) == "terminatedByTpp"


async def test_consent_revoked_in_online_banking_is_invalid_for_reads(bank: LiveBank) -> None:
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    await revoke_in_online_banking(bank.browser, consent_id)
    with pytest.raises(ConsentInvalid):
        await bank.psd2.transactions(consent_id, account, date_from=SINCE, psu_ip=PSU_IP)


async def test_listing_accounts_of_a_revoked_consent_spends_nothing(bank: LiveBank) -> None:
    consent_id = await bank.link()
    await revoke_in_online_banking(bank.browser, consent_id)
    budget = InMemoryBudget(4, TODAY)
    with pytest.raises(ConsentInvalid):
        await bank.psd2.list_accounts(consent_id, budget=budget)
    assert budget.used("/accounts") == 0
    assert bank.sent("/v1/accounts") == []


async def test_expired_consent_is_consent_expired(bank: LiveBank) -> None:
    consent_id = await bank.link(valid_until=TODAY + timedelta(days=5))
    account = (await bank.accounts(consent_id))[CHECKING]
    bank.world.clock = lambda: datetime.combine(TODAY + timedelta(days=6), datetime.min.time(), UTC)
    with pytest.raises(ConsentExpired) as refused:
        await bank.psd2.balances(consent_id, account, psu_ip=PSU_IP)
    assert consent_gone(refused.value)
    with pytest.raises(ConsentExpired):
        await bank.psd2.list_accounts(consent_id, psu_ip=PSU_IP)


async def test_unknown_consent_is_consent_unknown(bank: LiveBank) -> None:
    account = wire_account(CHECKING)
    with pytest.raises(ConsentUnknown) as refused:
        await bank.psd2.balances("no-such-consent", account, psu_ip=PSU_IP)
    assert consent_gone(refused.value)
    with pytest.raises(ConsentUnknown):
        await bank.psd2.consent_status("no-such-consent")


async def test_unknown_account_is_resource_unknown(bank: LiveBank) -> None:
    consent_id = await bank.link()
    ghost = wire_account("no-such-account")
    with pytest.raises(ResourceUnknown) as refused:
        await bank.psd2.balances(consent_id, ghost, psu_ip=PSU_IP)
    assert not consent_gone(refused.value)


async def test_deleting_a_consent_twice_is_not_an_error(bank: LiveBank) -> None:
    consent_id = await bank.link()
    await bank.psd2.delete_consent(consent_id)
    await bank.psd2.delete_consent(consent_id)
    assert await bank.psd2.consent_status(consent_id) == "terminatedByTpp"


async def test_deleting_an_unknown_consent_is_not_an_error(bank: LiveBank) -> None:
    await bank.psd2.delete_consent("no-such-consent")
    [request] = bank.requests
    assert request.method == "DELETE"


@pytest.mark.slow
async def test_ten_thousand_transactions_arrive_whole_across_a_hundred_pages(
    bank: LiveBank,
) -> None:
    # How fast is bench/vault_sync.py's business (its fetch-only baseline); here only
    # that every page is followed and nothing is doubled or lost.
    add_booked(bank.world, CHECKING, 9_997, days=300)
    consent_id = await bank.link()
    account = (await bank.accounts(consent_id))[CHECKING]
    # Without the conformance hook: the pages' shape is checked by the smaller walks above.
    async with httpx.AsyncClient(timeout=10) as http:
        psd2 = Psd2Client(http, bank.sandbox.bank_url(BANK))
        records = await psd2.transactions(consent_id, account, date_from=SINCE, psu_ip=PSU_IP)
    assert len(records) == len({r.key for r in records}) == 10_000


# -- faults, with a fake bank -----------------------------------------------------------

FAKE_URL = "https://bank.example/psd2"
Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
ACCOUNT = wire_account("acc-1")
CARD_ACCOUNT = wire_account("card-1", "card-accounts")


@dataclass
class FakeBank:
    """Answers requests from a script; records requests and backoff sleeps."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.answers, f"unexpected request {request.method} {request.url}"
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def request_ids(self) -> set[str]:
        return {r.headers["X-Request-ID"] for r in self.requests}


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeBank, Psd2Client]]:
    bank = FakeBank()
    async with httpx.AsyncClient(transport=httpx.MockTransport(bank.handle)) as http:
        yield bank, Psd2Client(http, FAKE_URL, sleep=bank.sleep)


def error(status: int, code: str = "", **headers: str) -> httpx.Response:
    body = {"tppMessages": [{"category": "ERROR", "code": code, "text": "refused"}]}
    return httpx.Response(status, json=body if code else None, headers=headers)


def balances_ok() -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "balances": [
                {"balanceType": "expected", "balanceAmount": {"currency": "EUR", "amount": "1"}}
            ]
        },
    )


def report(
    booked: list[Any],
    pending: list[Any] | None = None,
    next_href: str | None = None,
    key: str = "transactions",
) -> httpx.Response:
    links: dict[str, Any] = {"account": {"href": "/psd2/v1/accounts/acc-1"}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    return httpx.Response(
        200,
        json={key: {"booked": booked, "pending": pending or [], "_links": links}},
    )


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "transactionId": "tx-1",
        "bookingDate": "2026-11-17",
        "valueDate": "2026-11-17",
        "transactionAmount": {"currency": "EUR", "amount": "-42.10"},
        "creditorName": "Markt 24",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def consent(status: str = "valid", **extra: Any) -> httpx.Response:
    body = {
        "access": {"allPsd2": "allAccounts"},
        "recurringIndicator": True,
        "validUntil": "2027-02-18",
        "frequencyPerDay": 4,
        "lastActionDate": "2026-11-20",
        "consentStatus": status,
        **extra,
    }
    return httpx.Response(200, json=body)


def created(**links: Any) -> httpx.Response:
    return httpx.Response(
        201,
        json={"consentStatus": "received", "consentId": "c-1", "_links": links},
    )


async def create(psd2: Psd2Client) -> Any:
    return await psd2.create_consent(
        accounts=None,
        balances=True,
        transactions=True,
        valid_until=TODAY + timedelta(days=90),
        frequency_per_day=4,
        redirect_uri=REDIRECT,
        nok_redirect_uri=NOK_REDIRECT,
        psu_ip=PSU_IP,
    )


FakeFixture = tuple[FakeBank, Psd2Client]


async def test_server_errors_are_retried_with_growing_backoff(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503), error(502), balances_ok()]
    [balance] = await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert balance.amount == Decimal("1")
    assert len(bank.requests) == 3
    first, second = bank.sleeps
    assert 0.25 <= first <= 0.25 * 1.25
    assert 0.5 <= second <= 0.5 * 1.25


async def test_retries_keep_the_request_id_of_the_call(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(500), httpx.ConnectError("refused"), balances_ok()]
    await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert len(bank.requests) == 3
    assert len(bank.request_ids()) == 1


async def test_server_errors_give_up_after_the_last_attempt(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(500, "INTERNAL_SERVER_ERROR") for _ in range(4)]
    with pytest.raises(BankUnavailable) as failed:
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert (failed.value.status, failed.value.code) == (500, "INTERNAL_SERVER_ERROR")
    assert (len(bank.requests), len(bank.sleeps)) == (4, 3)


async def test_retry_after_is_honoured(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503, **{"Retry-After": "2"}), balances_ok()]
    await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert bank.sleeps == [2.0]


async def test_retry_after_is_capped(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503, **{"Retry-After": "86400"}), balances_ok()]
    await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert bank.sleeps == [30.0]


async def test_rate_limit_without_access_exceeded_is_retried(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(429, **{"Retry-After": "1"}), balances_ok()]
    await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert bank.sleeps == [1.0]


async def test_access_exceeded_is_never_retried(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(429, "ACCESS_EXCEEDED", **{"Retry-After": "1"}), balances_ok()]
    with pytest.raises(AccessExceeded):
        await psd2.balances("c-1", ACCOUNT, budget=InMemoryBudget(4, TODAY))
    assert (len(bank.requests), bank.sleeps) == (1, [])


async def test_client_errors_are_not_retried(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(400, "FORMAT_ERROR")]
    with pytest.raises(FormatError) as refused:
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert (refused.value.status, refused.value.code) == (400, "FORMAT_ERROR")
    assert len(bank.requests) == 1


async def test_network_errors_after_the_retries_mean_the_bank_is_unavailable(
    fake: FakeFixture,
) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.ReadTimeout("slow") for _ in range(4)]
    with pytest.raises(BankUnavailable) as failed:
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert failed.value.status == 0
    assert isinstance(failed.value.__cause__, httpx.ReadTimeout)
    assert len(bank.requests) == 4


async def test_answer_that_is_not_json_is_retried_then_unavailable(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.Response(200, text="<html>maintenance</html>") for _ in range(4)]
    with pytest.raises(BankUnavailable) as failed:
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)
    assert failed.value.code == "NOT_JSON"
    assert len(bank.requests) == 4


async def test_retry_after_a_connection_failure_does_not_spend_again(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.ConnectError("refused"), balances_ok()]
    budget = InMemoryBudget(4, TODAY)
    await psd2.balances("c-1", ACCOUNT, budget=budget)
    assert budget.used("acc-1") == 1


async def test_retry_after_an_answered_server_error_spends_again(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503), balances_ok()]
    budget = InMemoryBudget(4, TODAY)
    await psd2.balances("c-1", ACCOUNT, budget=budget)
    assert budget.used("acc-1") == 2


async def test_retry_after_a_read_timeout_spends_again(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.ReadTimeout("slow"), balances_ok()]
    budget = InMemoryBudget(4, TODAY)
    await psd2.balances("c-1", ACCOUNT, budget=budget)
    assert budget.used("acc-1") == 2


async def test_retries_stop_when_the_budget_runs_out(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503), balances_ok()]
    with pytest.raises(BudgetExhausted) as exhausted:
        await psd2.balances("c-1", ACCOUNT, budget=InMemoryBudget(1, TODAY))
    assert isinstance(exhausted.value.__cause__, BankUnavailable)
    assert len(bank.requests) == 1


async def test_create_consent_is_not_retried_after_a_server_error(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503), created(scaRedirect={"href": "https://bank.example/sca"})]
    with pytest.raises(BankUnavailable):
        await create(psd2)
    assert (len(bank.requests), bank.sleeps) == (1, [])


async def test_create_consent_is_not_retried_after_a_read_timeout(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.ReadTimeout("slow")]
    with pytest.raises(BankUnavailable):
        await create(psd2)
    assert len(bank.requests) == 1


async def test_create_consent_is_retried_when_the_connection_failed(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        httpx.ConnectError("refused"),
        created(scaRedirect={"href": "https://login.bank.example/sca/c-1"}),
    ]
    consent_created = await create(psd2)
    assert consent_created.sca_redirect == "https://login.bank.example/sca/c-1"
    assert (len(bank.requests), len(bank.request_ids())) == (2, 1)


async def test_create_consent_without_sca_redirect_is_refused(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [created(self={"href": "/psd2/v1/consents/c-1"})]
    with pytest.raises(FormatError, match="scaRedirect"):
        await create(psd2)


async def test_sca_redirect_must_be_a_web_address(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [created(scaRedirect={"href": "javascript:alert(1)"})]
    with pytest.raises(FormatError, match="scaRedirect"):
        await create(psd2)


async def test_relative_sca_redirect_is_resolved_against_the_bank(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [created(scaRedirect={"href": "/sca/consents/c-1"})]
    assert (await create(psd2)).sca_redirect == "https://bank.example/sca/consents/c-1"


async def test_problem_json_errors_are_understood(fake: FakeFixture) -> None:
    bank, psd2 = fake
    problem = {"type": "https://bank.example/problems/consent", "code": "CONSENT_EXPIRED"}
    bank.answers = [httpx.Response(401, json=problem)]
    with pytest.raises(ConsentExpired):
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "CONSENT_INVALID", ConsentInvalid),
        (401, "CONSENT_EXPIRED", ConsentExpired),
        (403, "CONSENT_UNKNOWN", ConsentUnknown),
        (429, "ACCESS_EXCEEDED", AccessExceeded),
        (404, "RESOURCE_UNKNOWN", ResourceUnknown),
        (403, "RESOURCE_UNKNOWN", ResourceUnknown),
        (400, "FORMAT_ERROR", FormatError),
        (400, "PERIOD_INVALID", FormatError),
        (405, "", FormatError),
        (429, "", BankUnavailable),
        (500, "INTERNAL_SERVER_ERROR", BankUnavailable),
        (503, "CONSENT_INVALID", BankUnavailable),
    ],
)
def test_bank_errors_map_to_their_exception(status: int, code: str, kind: type) -> None:
    mapped = error_for(status, code, "text")
    assert type(mapped) is kind
    assert mapped.status == status
    assert mapped.code == (code or f"HTTP_{status}")


@pytest.mark.parametrize(
    ("exc", "gone"),
    [
        (ConsentInvalid(401, "CONSENT_INVALID", ""), True),
        (ConsentExpired(401, "CONSENT_EXPIRED", ""), True),
        (ConsentUnknown(403, "CONSENT_UNKNOWN", ""), True),
        (AccessExceeded(429, "ACCESS_EXCEEDED", ""), False),
        (BankUnavailable(503, "HTTP_503", ""), False),
        (BudgetExhausted(), False),
        (ValueError("x"), False),
    ],
)
def test_consent_gone_only_for_consent_errors(exc: Exception, gone: bool) -> None:
    assert consent_gone(exc) is gone


async def test_delete_of_a_consent_the_bank_no_longer_has_returns(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.Response(404)]
    await psd2.delete_consent("c-1")
    assert bank.requests[0].method == "DELETE"


async def test_delete_is_retried_and_reports_an_unavailable_bank(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [error(503) for _ in range(4)]
    with pytest.raises(BankUnavailable):
        await psd2.delete_consent("c-1")
    assert len(bank.requests) == 4


async def test_card_list_refused_for_a_valid_consent_means_no_card_accounts(
    fake: FakeFixture,
) -> None:
    bank, psd2 = fake
    listed = {"accounts": [{"resourceId": "acc-1", "iban": "DE1", "currency": "EUR"}]}
    bank.answers = [
        consent(),
        httpx.Response(200, json=listed),
        error(401, "CONSENT_INVALID"),
        httpx.Response(200, json={"consentStatus": "valid"}),
    ]
    accounts = await psd2.list_accounts("c-1", psu_ip=PSU_IP)
    assert [a.resource_id for a in accounts] == ["acc-1"]
    assert [r.url.path for r in bank.requests][2:] == [
        "/psd2/v1/card-accounts",
        "/psd2/v1/consents/c-1/status",
    ]


async def test_card_list_refused_for_a_revoked_consent_is_consent_invalid(
    fake: FakeFixture,
) -> None:
    bank, psd2 = fake
    bank.answers = [
        consent(),
        httpx.Response(200, json={"accounts": []}),
        error(401, "CONSENT_INVALID"),
        httpx.Response(200, json={"consentStatus": "revokedByPsu"}),
    ]
    with pytest.raises(ConsentInvalid):
        await psd2.list_accounts("c-1", psu_ip=PSU_IP)


async def test_account_without_resource_id_is_refused(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        consent(_links={"account": {"href": "/psd2/v1/accounts"}}),
        httpx.Response(200, json={"accounts": [{"iban": "DE1", "currency": "EUR"}]}),
    ]
    with pytest.raises(FormatError, match=r"accounts\[0\]: field resourceId"):
        await psd2.list_accounts("c-1", psu_ip=PSU_IP)


async def test_optional_account_fields_may_be_absent(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        consent(_links={"card-account": {"href": "/psd2/v1/card-accounts"}}),
        httpx.Response(200, json={"cardAccounts": [{"resourceId": "k", "currency": "USD"}]}),
    ]
    [card] = await psd2.list_accounts("c-1", psu_ip=PSU_IP)
    assert (card.kind_path, card.masked_pan, card.name, card.credit_limit) == (
        "card-accounts",
        None,
        None,
        None,
    )


async def test_transactions_with_only_the_required_fields(fake: FakeFixture) -> None:
    bank, psd2 = fake
    minimal = {"transactionAmount": {"currency": "EUR", "amount": "5"}}
    bank.answers = [report([minimal], [{**minimal, "entryReference": "p-1"}])]
    booked, pending = await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    assert booked.key.startswith("hash:")
    assert (booked.amount, booked.booking_date, booked.counterparty_name) == (
        Decimal("5"),
        None,
        None,
    )
    assert (pending.status, pending.key) == ("pending", "ref:p-1")


async def test_counterparty_falls_back_to_the_party_named(fake: FakeFixture) -> None:
    bank, psd2 = fake
    debit_naming_the_debtor = entry(
        creditorName=None, debtorName="Anna", debtorAccount={"iban": "DE2"}
    )
    bank.answers = [report([debit_naming_the_debtor])]
    [record] = await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    assert (record.counterparty_name, record.counterparty_iban) == ("Anna", "DE2")


async def test_remittance_array_is_joined(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [report([entry(remittanceInformationUnstructuredArray=["Invoice 7", "Nov"])])]
    [record] = await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    assert record.remittance == "Invoice 7 Nov"


async def test_identical_entries_without_ids_get_keys_of_their_own(fake: FakeFixture) -> None:
    bank, psd2 = fake
    coffee = entry(transactionId=None)
    bank.answers = [report([coffee, coffee, coffee])]
    keys = [r.key for r in await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)]
    assert keys[1:] == [f"{keys[0]}#2", f"{keys[0]}#3"]


async def test_transaction_query_names_the_period_and_booking_status(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [report([], key="cardTransactions")]
    await psd2.transactions(
        "c-1",
        CARD_ACCOUNT,
        date_from=date(2026, 1, 1),
        date_to=date(2026, 1, 31),
        booking_status="booked",
        psu_ip=PSU_IP,
    )
    [request] = bank.requests
    assert request.url.path == "/psd2/v1/card-accounts/card-1/transactions"
    assert dict(request.url.params) == {
        "bookingStatus": "booked",
        "dateFrom": "2026-01-01",
        "dateTo": "2026-01-31",
    }


@pytest.mark.parametrize(
    ("broken", "field_name"),
    [
        (entry(transactionAmount=None), "transactionAmount"),
        (
            entry(transactionAmount={"currency": "EUR", "amount": "12,50"}),
            "transactionAmount.amount",
        ),
        (entry(transactionAmount={"currency": "EUR", "amount": "NaN"}), "transactionAmount.amount"),
        (entry(transactionAmount={"currency": "EUR", "amount": 12.5}), "transactionAmount.amount"),
        (
            entry(transactionAmount={"currency": "euro", "amount": "1"}),
            "transactionAmount.currency",
        ),
        (entry(bookingDate="17.11.2026"), "bookingDate"),
        (entry(valueDate="2026-02-30"), "valueDate"),
        (entry(creditorName=["Markt 24"]), "creditorName"),
        (entry(creditorAccount="DE89370400440532013000"), "creditorAccount"),
        (
            entry(remittanceInformationUnstructuredArray=["ok", 7]),
            "remittanceInformationUnstructuredArray",
        ),
        (["not", "an", "object"], "(entry)"),
    ],
)
async def test_malformed_entry_is_a_format_error_naming_the_field(
    fake: FakeFixture, broken: Any, field_name: str
) -> None:
    bank, psd2 = fake
    bank.answers = [report([entry(transactionId="fine"), broken])]
    with pytest.raises(FormatError) as refused:
        await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    message = str(refused.value)
    assert f"booked[1]: field {field_name} " in message
    for bank_data in ("12,50", "Markt 24", "DE89", "17.11.2026"):
        assert bank_data not in message


async def test_report_missing_is_a_format_error(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [httpx.Response(200, json={"account": {"iban": "DE1"}})]
    with pytest.raises(FormatError, match="field transactions "):
        await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)


async def test_malformed_balance_is_a_format_error(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        httpx.Response(
            200,
            json={
                "balances": [
                    {"balanceType": "expected", "balanceAmount": {"currency": "EUR"}},
                ]
            },
        )
    ]
    with pytest.raises(FormatError, match=r"balances\[0\]: field balanceAmount.amount"):
        await psd2.balances("c-1", ACCOUNT, psu_ip=PSU_IP)


async def test_relative_and_absolute_page_links_are_followed(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        report([entry(transactionId="a")], next_href="transactions?page=2"),
        report([entry(transactionId="b")], next_href=f"{FAKE_URL}/v1/accounts/acc-1/tx?page=3"),
        report([entry(transactionId="c")]),
    ]
    records = await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    assert [r.transaction_id for r in records] == ["a", "b", "c"]
    assert [str(r.url) for r in bank.requests[1:]] == [
        f"{FAKE_URL}/v1/accounts/acc-1/transactions?page=2",
        f"{FAKE_URL}/v1/accounts/acc-1/tx?page=3",
    ]
    assert len(bank.request_ids()) == 3


async def test_pages_after_the_first_do_not_spend_the_budget(fake: FakeFixture) -> None:
    bank, psd2 = fake
    bank.answers = [
        report([entry(transactionId="a")], next_href="/psd2/v1/accounts/acc-1/transactions?p=2"),
        report([entry(transactionId="b")]),
    ]
    budget = InMemoryBudget(1, TODAY)
    assert len(await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, budget=budget)) == 2
    assert budget.used("acc-1") == 1


@pytest.mark.parametrize(
    "href",
    [
        "https://evil.example/psd2/v1/accounts/acc-1/transactions?page=2",
        "http://bank.example/psd2/v1/accounts/acc-1/transactions?page=2",
        "https://bank.example:8443/psd2/v1/accounts/acc-1/transactions?page=2",
        "//evil.example/steal",
    ],
)
async def test_page_link_to_another_origin_is_refused(fake: FakeFixture, href: str) -> None:
    bank, psd2 = fake
    bank.answers = [report([entry()], next_href=href)]
    with pytest.raises(FormatError, match="another origin"):
        await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)
    assert len(bank.requests) == 1


async def test_page_links_going_round_in_circles_are_refused(fake: FakeFixture) -> None:
    bank, psd2 = fake
    again = f"{FAKE_URL}/v1/accounts/acc-1/transactions?page=1"
    bank.answers = [
        report([entry(transactionId="a")], next_href=again),
        report([entry(transactionId="b")], next_href=again),
    ]
    with pytest.raises(FormatError, match="seen before"):
        await psd2.transactions("c-1", ACCOUNT, date_from=SINCE, psu_ip=PSU_IP)


async def test_psu_ip_must_be_an_ip_address(fake: FakeFixture) -> None:
    bank, psd2 = fake
    with pytest.raises(ValueError, match="IP address"):
        await psd2.balances("c-1", ACCOUNT, psu_ip="localhost")
    assert bank.requests == []


async def test_unknown_booking_status_is_refused(fake: FakeFixture) -> None:
    bank, psd2 = fake
    with pytest.raises(ValueError, match="booking_status"):
        await psd2.transactions(
            "c-1", ACCOUNT, date_from=SINCE, booking_status="information", psu_ip=PSU_IP
        )
    assert bank.requests == []


def test_in_memory_budget_starts_afresh_each_day() -> None:
    today = [TODAY]
    budget = InMemoryBudget(1, lambda: today[0])
    budget.spend("acc-1")
    with pytest.raises(BudgetExhausted):
        budget.spend("acc-1")
    today[0] = TODAY + timedelta(days=1)
    budget.spend("acc-1")
    assert budget.used("acc-1") == 1


def test_in_memory_budget_counts_each_resource_apart() -> None:
    budget = InMemoryBudget(1, TODAY)
    budget.spend("/accounts")
    budget.spend("/card-accounts")
    budget.spend("acc-1")
    with pytest.raises(BudgetExhausted):
        budget.spend("/accounts")


def test_psd2_error_message_has_status_code_and_text() -> None:
    assert str(Psd2Error(401, "CONSENT_INVALID", "the consent is revokedByPsu")) == (
        "401 CONSENT_INVALID: the consent is revokedByPsu"
    )
