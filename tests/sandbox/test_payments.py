"""Payment initiation, authorisation and clearing in the sandbox, on the service functions."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.errors import Psd2Error
from bankchat.sandbox.iban import german_iban
from bankchat.sandbox.model import BookingStatus, Category, Payment, PaymentStatus, ScaStatus
from bankchat.sandbox.payments import (
    INSTANT_SEPA_CREDIT_TRANSFERS,
    SEPA_CREDIT_TRANSFERS,
    authorise_payment,
    clearing_loop,
    credit_transaction_id,
    debit_transaction_id,
    fail_payment_authorisation,
    initiate_payment,
    run_clearing,
)
from bankchat.sandbox.world import CLEARING, EXTERNAL, World, WorldEvent
from tests.sandbox.worlds import small_world

REDIRECT = "https://tpp.example/done"
EXTERNAL_IBAN = german_iban("12345678", 4711)  # a bank outside the sandbox


def iban_of(world: World, account_id: str) -> str:
    iban = world.accounts[account_id].iban
    assert iban is not None
    return iban


def order(
    world: World,
    debtor: str = "nordbank-c1-chk",
    creditor_iban: str | None = None,
    amount: str = "25.00",
    currency: str = "EUR",
    **extra: object,
) -> dict[str, object]:
    """A valid payment order body from ``debtor`` (default: to nordbank-c2-chk)."""
    body: dict[str, object] = {
        "debtorAccount": {"iban": iban_of(world, debtor)},
        "instructedAmount": {"currency": currency, "amount": amount},
        "creditorAccount": {"iban": creditor_iban or iban_of(world, "nordbank-c2-chk")},
        "creditorName": "Test Person2",
        "remittanceInformationUnstructured": "Pizza",
    }
    body.update(extra)
    return body


def initiate(
    world: World,
    body: dict[str, object],
    *,
    bank: str = "nordbank",
    product: str = SEPA_CREDIT_TRANSFERS,
    request_id: str | None = None,
) -> Payment:
    payment, _created = initiate_payment(
        world, world.banks[bank], product, request_id or str(uuid.uuid4()), body, REDIRECT, None
    )
    return payment


def refused(world: World, body: object, *, bank: str = "nordbank") -> Psd2Error:
    """The error an invalid order gets; also checks that nothing was created."""
    before = dict(world.payments)
    with pytest.raises(Psd2Error) as caught:
        initiate_payment(
            world, world.banks[bank], SEPA_CREDIT_TRANSFERS, str(uuid.uuid4()), body, REDIRECT, None
        )
    assert world.payments == before
    return caught.value


def available(world: World, account_id: str) -> Decimal:
    amount = world.ledger_of(account_id).available(account_id)
    assert amount is not None
    return amount


def customer_total(world: World, currency: str) -> Decimal:
    return sum(
        (
            world.booked_balance(account.id)
            for account in world.accounts.values()
            if account.currency == currency
        ),
        Decimal("0"),
    )


# -- initiation ---------------------------------------------------------------------------


def test_initiation_creates_a_received_payment(world: World) -> None:
    payment = initiate(world, order(world))
    assert world.payments[payment.id] is payment
    assert (payment.status, payment.sca_status) == (PaymentStatus.RCVD, ScaStatus.RECEIVED)
    assert payment.amount == Decimal("25.00")
    assert payment.debtor_account_id == "nordbank-c1-chk"


def test_initiation_neither_moves_nor_holds_money(world: World) -> None:
    before = available(world, "nordbank-c1-chk")
    initiate(world, order(world))
    assert available(world, "nordbank-c1-chk") == before


def test_repeated_request_id_returns_the_same_payment(world: World) -> None:
    request_id = str(uuid.uuid4())
    bank = world.banks["nordbank"]
    first, first_created = initiate_payment(
        world, bank, SEPA_CREDIT_TRANSFERS, request_id, order(world), REDIRECT, None
    )
    again, again_created = initiate_payment(
        world, bank, SEPA_CREDIT_TRANSFERS, request_id, order(world), REDIRECT, None
    )
    assert (first_created, again_created) == (True, False)
    assert again is first
    assert len(world.payments) == 1


def test_repeated_request_id_with_another_order_is_refused(world: World) -> None:
    request_id = str(uuid.uuid4())
    initiate(world, order(world), request_id=request_id)
    with pytest.raises(Psd2Error) as caught:
        initiate(world, order(world, amount="26.00"), request_id=request_id)
    assert (caught.value.status, caught.value.code) == (400, "FORMAT_ERROR")
    assert len(world.payments) == 1


def test_request_id_is_scoped_to_the_bank(world: World) -> None:
    request_id = str(uuid.uuid4())
    initiate(world, order(world), request_id=request_id)
    initiate(world, order(world, debtor="suedbank-c1-chk"), bank="suedbank", request_id=request_id)
    assert len(world.payments) == 2


def test_debtor_may_be_named_by_bban(world: World) -> None:
    bban = world.accounts["lakebank-c1-chk"].bban
    body = {
        "debtorAccount": {"bban": bban},
        "instructedAmount": {"currency": "USD", "amount": "10"},
        "creditorAccount": {"bban": world.accounts["lakebank-c2-chk"].bban},
        "creditorName": "Test Person2",
    }
    payment = initiate(world, body, bank="lakebank")
    assert payment.debtor_account_id == "lakebank-c1-chk"
    assert payment.amount == Decimal("10.00")


def test_debtor_iban_in_lower_case_with_spaces_is_found(world: World) -> None:
    iban = iban_of(world, "nordbank-c1-chk")
    printed = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    payment = initiate(world, order(world, debtorAccount={"iban": printed}))
    assert payment.debtor_account_id == "nordbank-c1-chk"


def test_unknown_product_is_refused(world: World) -> None:
    with pytest.raises(Psd2Error) as caught:
        initiate(world, order(world), product="target-2-payments")
    assert (caught.value.status, caught.value.code) == (404, "PRODUCT_UNKNOWN")
    assert world.payments == {}


def test_debtor_account_of_another_bank_is_unknown(world: World) -> None:
    error = refused(world, order(world, debtor="suedbank-c1-chk"))
    assert (error.status, error.code) == (400, "RESOURCE_UNKNOWN")


def test_currency_other_than_the_debtor_accounts_is_refused(world: World) -> None:
    error = refused(world, order(world, currency="USD"))
    assert (error.status, error.code, error.path) == (
        400,
        "FORMAT_ERROR",
        "instructedAmount.currency",
    )


def test_creditor_iban_with_wrong_check_digits_is_refused(world: World) -> None:
    good = iban_of(world, "nordbank-c2-chk")
    wrong = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
    error = refused(world, order(world, creditor_iban=wrong))
    assert (error.code, error.path) == ("FORMAT_ERROR", "creditorAccount.iban")


def test_creditor_account_in_another_currency_is_refused(world: World) -> None:
    body = order(world)
    body["creditorAccount"] = {"bban": world.accounts["lakebank-c1-chk"].bban}
    error = refused(world, body)
    assert (error.status, error.code) == (400, "PAYMENT_FAILED")


def test_paying_into_the_debtor_account_itself_is_refused(world: World) -> None:
    error = refused(world, order(world, creditor_iban=iban_of(world, "nordbank-c1-chk")))
    assert error.code == "PAYMENT_FAILED"


def test_remittance_over_140_characters_is_refused(world: World) -> None:
    error = refused(world, order(world, remittanceInformationUnstructured="x" * 141))
    assert error.path == "remittanceInformationUnstructured"


def test_remittance_of_140_characters_is_accepted(world: World) -> None:
    payment = initiate(world, order(world, remittanceInformationUnstructured="x" * 140))
    assert payment.remittance == "x" * 140


@pytest.mark.parametrize(
    "missing", ["debtorAccount", "instructedAmount", "creditorAccount", "creditorName"]
)
def test_order_without_a_mandatory_field_is_refused(world: World, missing: str) -> None:
    body = order(world)
    del body[missing]
    error = refused(world, body)
    assert (error.code, error.path) == ("FORMAT_ERROR", missing)


@given(
    amount=st.one_of(
        st.sampled_from(["0", "0.00", "-1.00", "1.234", "1,00", "1e3", " 1.00", "", "abc"]),
        st.decimals(max_value=Decimal("-0.01"), places=2).map(str),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)
        .filter(lambda d: d != d.quantize(Decimal("0.01")))
        .map(str),
        st.integers(),
        st.floats(allow_nan=False),
    )
)
def test_invalid_amounts_are_refused(amount: object) -> None:
    world = small_world()
    body = order(world)
    body["instructedAmount"] = {"currency": "EUR", "amount": amount}
    error = refused(world, body)
    assert (error.status, error.code, error.path) == (
        400,
        "FORMAT_ERROR",
        "instructedAmount.amount",
    )


@given(amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10") ** 12, places=2))
def test_valid_amounts_are_kept_exactly(amount: Decimal) -> None:
    world = small_world()
    payment = initiate(world, order(world, amount=str(amount)))
    assert payment.amount == amount


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"debtorAccount": "DE00", "instructedAmount": {}, "creditorAccount": {}},
        {"debtorAccount": {"iban": 5}},
    ],
)
def test_malformed_orders_are_refused(world: World, body: object) -> None:
    assert refused(world, body).status == 400


# -- authorisation ------------------------------------------------------------------------


def test_authorisation_accepts_the_payment(world: World) -> None:
    payment = authorise_payment(world, initiate(world, order(world)).id, "nordbank-c1")
    assert (payment.status, payment.sca_status) == (PaymentStatus.ACTC, ScaStatus.FINALISED)
    assert payment.customer_id == "nordbank-c1"


def test_authorisation_holds_the_amount_as_a_pending_debit(world: World) -> None:
    available_before = available(world, "nordbank-c1-chk")
    balance_before = world.booked_balance("nordbank-c1-chk")
    payment = authorise_payment(world, initiate(world, order(world)).id, "nordbank-c1")
    assert available(world, "nordbank-c1-chk") == available_before - Decimal("25.00")
    assert world.booked_balance("nordbank-c1-chk") == balance_before
    debit = world.transaction_index[debit_transaction_id(payment)]
    assert (debit.status, debit.amount) == (BookingStatus.PENDING, Decimal("-25.00"))


def test_authorising_twice_holds_the_amount_once(world: World) -> None:
    payment_id = initiate(world, order(world)).id
    authorise_payment(world, payment_id, "nordbank-c1")
    held = world.ledger_of("nordbank-c1-chk").held("nordbank-c1-chk")
    authorise_payment(world, payment_id, "nordbank-c1")
    assert world.ledger_of("nordbank-c1-chk").held("nordbank-c1-chk") == held


def test_authorisation_by_another_customer_fails(world: World) -> None:
    payment = authorise_payment(world, initiate(world, order(world)).id, "nordbank-c2")
    assert (payment.status, payment.sca_status) == (PaymentStatus.RJCT, ScaStatus.FAILED)
    assert world.ledger_of("nordbank-c1-chk").held("nordbank-c1-chk") == Decimal("12.50")


def test_authorisation_without_funds_rejects_the_payment(world: World) -> None:
    payment = authorise_payment(
        world, initiate(world, order(world, amount="5000.00")).id, "nordbank-c1"
    )
    assert (payment.status, payment.sca_status) == (PaymentStatus.RJCT, ScaStatus.FINALISED)
    assert payment.reject_reason is not None
    assert debit_transaction_id(payment) not in world.transaction_index


def test_overdraft_counts_as_funds(world: World) -> None:
    # 2457.90 booked, 12.50 held, 500.00 overdraft: 2945.40 available.
    payment = authorise_payment(
        world, initiate(world, order(world, amount="2945.40")).id, "nordbank-c1"
    )
    assert payment.status is PaymentStatus.ACTC


def test_authorising_an_unknown_payment_is_refused(world: World) -> None:
    with pytest.raises(Psd2Error) as caught:
        authorise_payment(world, "no-such-payment", "nordbank-c1")
    assert (caught.value.status, caught.value.code) == (404, "RESOURCE_UNKNOWN")


def test_failed_authorisation_rejects_the_payment(world: World) -> None:
    payment = fail_payment_authorisation(world, initiate(world, order(world)).id)
    assert (payment.status, payment.sca_status) == (PaymentStatus.RJCT, ScaStatus.FAILED)


def test_failure_after_authorisation_changes_nothing(world: World) -> None:
    payment_id = initiate(world, order(world)).id
    authorise_payment(world, payment_id, "nordbank-c1")
    payment = fail_payment_authorisation(world, payment_id)
    assert (payment.status, payment.sca_status) == (PaymentStatus.ACTC, ScaStatus.FINALISED)


def test_rejected_payment_is_not_cleared(world: World) -> None:
    fail_payment_authorisation(world, initiate(world, order(world)).id)
    assert run_clearing(world) == 0


# -- clearing -----------------------------------------------------------------------------


def authorised(world: World, body: dict[str, object], *, bank: str = "nordbank") -> Payment:
    payment = initiate(world, body, bank=bank)
    debtor = world.accounts[payment.debtor_account_id]
    return authorise_payment(world, payment.id, debtor.customer_id)


def test_clearing_within_one_bank_moves_the_money_in_one_entry(world: World) -> None:
    before = (world.booked_balance("nordbank-c1-chk"), world.booked_balance("nordbank-c2-chk"))
    payment = authorised(world, order(world))
    assert run_clearing(world) == 1
    assert world.booked_balance("nordbank-c1-chk") == before[0] - Decimal("25.00")
    assert world.booked_balance("nordbank-c2-chk") == before[1] + Decimal("25.00")
    entry = world.ledgers["nordbank"].journal[-1]
    assert {(p.account_id, p.amount) for p in entry.postings} == {
        ("nordbank-c1-chk", Decimal("-25.00")),
        ("nordbank-c2-chk", Decimal("25.00")),
    }
    assert (payment.status, payment.settled_at) == (PaymentStatus.ACSC, world.clock())


def test_clearing_releases_the_hold(world: World) -> None:
    authorised(world, order(world))
    run_clearing(world)
    assert world.ledger_of("nordbank-c1-chk").held("nordbank-c1-chk") == Decimal("12.50")


def test_clearing_books_visible_transactions_on_both_sides(world: World) -> None:
    payment = authorised(world, order(world))
    run_clearing(world)
    debit = world.transaction_index[debit_transaction_id(payment)]
    credit = world.transaction_index[credit_transaction_id(payment)]
    assert (debit.status, debit.booking_date) == (BookingStatus.BOOKED, world.today())
    assert (debit.counterparty_name, debit.counterparty_iban, debit.remittance) == (
        "Test Person2",
        iban_of(world, "nordbank-c2-chk"),
        "Pizza",
    )
    assert credit in world.transactions["nordbank-c2-chk"]
    assert (credit.amount, credit.status, credit.category) == (
        Decimal("25.00"),
        BookingStatus.BOOKED,
        Category.INCOME,
    )
    assert (credit.counterparty_name, credit.counterparty_iban) == (
        "Test Person1",
        iban_of(world, "nordbank-c1-chk"),
    )


def test_clearing_announces_the_credit(world: World) -> None:
    events: list[WorldEvent] = []
    world.subscribe(events.append)
    payment = authorised(world, order(world, creditor_iban=iban_of(world, "suedbank-c1-chk")))
    events.clear()
    run_clearing(world)
    created = [e for e in events if e.kind == "transaction.created"]
    assert [(e.bank_id, e.account_id) for e in created] == [("suedbank", "suedbank-c1-chk")]
    assert created[0].transaction is world.transaction_index[credit_transaction_id(payment)]


def test_clearing_between_sandbox_banks_goes_through_clearing_accounts(world: World) -> None:
    debtor_before = world.booked_balance("nordbank-c1-chk")
    creditor_before = world.booked_balance("suedbank-c1-chk")
    authorised(world, order(world, creditor_iban=iban_of(world, "suedbank-c1-chk")))
    run_clearing(world)
    assert world.booked_balance("nordbank-c1-chk") == debtor_before - Decimal("25.00")
    assert world.booked_balance("suedbank-c1-chk") == creditor_before + Decimal("25.00")
    assert world.ledgers["nordbank"].balance(CLEARING) == Decimal("25.00")
    assert world.ledgers["suedbank"].balance(CLEARING) == Decimal("-25.00")
    assert world.ledgers["nordbank"].total() == world.ledgers["suedbank"].total() == 0


def test_clearing_to_an_iban_outside_the_sandbox_credits_external(world: World) -> None:
    external_before = world.ledgers["nordbank"].balance(EXTERNAL)
    total_before = customer_total(world, "EUR")
    payment = authorised(world, order(world, creditor_iban=EXTERNAL_IBAN))
    run_clearing(world)
    assert world.ledgers["nordbank"].balance(EXTERNAL) == external_before + Decimal("25.00")
    assert customer_total(world, "EUR") == total_before - Decimal("25.00")
    assert credit_transaction_id(payment) not in world.transaction_index


def test_clearing_to_a_sandbox_bban(world: World) -> None:
    before = world.booked_balance("lakebank-c2-chk")
    body = {
        "debtorAccount": {"bban": world.accounts["lakebank-c1-chk"].bban},
        "instructedAmount": {"currency": "USD", "amount": "7.50"},
        "creditorAccount": {"bban": world.accounts["lakebank-c2-chk"].bban},
        "creditorName": "Test Person2",
    }
    authorised(world, body, bank="lakebank")
    run_clearing(world)
    assert world.booked_balance("lakebank-c2-chk") == before + Decimal("7.50")


def test_each_payment_is_cleared_once(world: World) -> None:
    authorised(world, order(world))
    run_clearing(world)
    balance = world.booked_balance("nordbank-c2-chk")
    assert run_clearing(world) == 0
    assert world.booked_balance("nordbank-c2-chk") == balance


def test_accepted_payment_waits_for_clearing(world: World) -> None:
    before = world.booked_balance("nordbank-c2-chk")
    payment = authorised(world, order(world))
    assert payment.status is PaymentStatus.ACTC
    assert world.booked_balance("nordbank-c2-chk") == before


def test_instant_payment_settles_on_authorisation(world: World) -> None:
    before = world.booked_balance("nordbank-c2-chk")
    payment = initiate(world, order(world), product=INSTANT_SEPA_CREDIT_TRANSFERS)
    payment = authorise_payment(world, payment.id, "nordbank-c1")
    assert payment.status is PaymentStatus.ACSC
    assert world.booked_balance("nordbank-c2-chk") == before + Decimal("25.00")
    assert run_clearing(world) == 0


async def test_clearing_loop_settles_accepted_payments(world: World) -> None:
    payment = authorised(world, order(world))
    task = asyncio.create_task(clearing_loop(world, 0.001))
    try:
        for _ in range(1000):
            if payment.status is PaymentStatus.ACSC:
                break
            await asyncio.sleep(0.001)
    finally:
        task.cancel()
    assert payment.status is PaymentStatus.ACSC


def test_a_payment_that_cannot_settle_does_not_hold_up_the_others(world: World) -> None:
    broken = authorised(world, order(world, amount="10.00"))
    sound = authorised(world, order(world, amount="20.00"))
    # Damage the first payment's held debit so that booking it fails.
    del world.transaction_index[debit_transaction_id(broken)]
    assert run_clearing(world) == 1
    assert broken.status is PaymentStatus.ACTC
    assert sound.status is PaymentStatus.ACSC
