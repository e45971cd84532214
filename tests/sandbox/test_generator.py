"""The seeded sandbox world: deterministic, complete, sound in the ledger, with labelled fraud.

``generated_world`` (2 customers per bank, 3 months) is the small size to use in other
tests; ``default_world`` is the full default size, built once for this module.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from statistics import median

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.activity import CODE_OWN_OUT, CODE_SALARY, is_luhn_valid, luhn_complete
from bankchat.sandbox.generator import (
    PENDING_DAYS,
    TERMINAL_DISCOVERY_DAYS,
    fraud_labels,
    generate_world,
    months_before,
)
from bankchat.sandbox.iban import is_valid_iban
from bankchat.sandbox.model import AccountKind, BookingStatus, Category, FraudPattern, Transaction
from bankchat.sandbox.partner import partner_of
from bankchat.sandbox.world import World

TODAY = date(2026, 11, 20)


def fixed_clock() -> datetime:
    return datetime(2026, 11, 20, 15, tzinfo=UTC)


def small_world(seed: int = 7) -> World:
    return generate_world(seed, today=TODAY, customers_per_bank=2, months=3, clock=fixed_clock)


@pytest.fixture
def generated_world() -> World:
    """A small generated world: four banks, two customers each, three months."""
    return small_world()


@pytest.fixture(scope="module")
def default_world() -> World:
    return generate_world(42, today=TODAY, clock=fixed_clock)


def snapshot(world: World) -> tuple[object, ...]:
    """Every record of the world as plain tuples, for comparing two worlds."""
    return (
        [dataclasses.astuple(b) for b in world.banks.values()],
        [dataclasses.astuple(c) for c in world.customers.values()],
        [dataclasses.astuple(a) for a in world.accounts.values()],
        [dataclasses.astuple(c) for c in world.cards.values()],
        {a: [dataclasses.astuple(t) for t in txs] for a, txs in world.transactions.items()},
    )


def card_payments(world: World) -> list[Transaction]:
    return [t for t in world.transaction_index.values() if t.card_id is not None]


# -- determinism ------------------------------------------------------------------------


def test_same_seed_gives_identical_world() -> None:
    assert snapshot(small_world(3)) == snapshot(small_world(3))


def test_different_seed_gives_different_world() -> None:
    first, second = small_world(3), small_world(4)
    assert set(first.transaction_index).isdisjoint(second.transaction_index)
    assert [c.login for c in first.customers.values()] != [
        c.login for c in second.customers.values()
    ]


def test_world_runs_on_given_clock_after_generation(generated_world: World) -> None:
    assert generated_world.clock() == fixed_clock()


# -- banks, customers, accounts and cards -------------------------------------------------


def test_two_german_and_two_us_banks(generated_world: World) -> None:
    banks = list(generated_world.banks.values())
    german = [b for b in banks if b.country == "DE"]
    american = [b for b in banks if b.country == "US"]
    assert len(german) == 2
    assert len(american) == 2
    assert all(b.currency == "EUR" and b.language == "de" for b in german)
    assert all(len(b.bank_code) == 8 and b.bank_code.isdigit() for b in german)
    assert all(b.currency == "USD" and b.language == "en" for b in american)


def test_us_routing_numbers_have_valid_check_digit(generated_world: World) -> None:
    for bank in generated_world.banks.values():
        if bank.country == "US":
            d = [int(c) for c in bank.bank_code]
            assert len(d) == 9
            weighted = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]
            assert weighted % 10 == 0


def test_customers_per_bank_as_asked(generated_world: World) -> None:
    per_bank = Counter(c.bank_id for c in generated_world.customers.values())
    assert set(per_bank.values()) == {2}


def test_logins_are_readable_and_unique_per_bank(default_world: World) -> None:
    seen: set[tuple[str, str]] = set()
    for customer in default_world.customers.values():
        assert customer.login.isascii()
        assert "." in customer.login
        assert (customer.bank_id, customer.login) not in seen
        seen.add((customer.bank_id, customer.login))
        assert default_world.find_customer(customer.bank_id, customer.login) is customer


def test_passwords_are_two_words_and_digits(generated_world: World) -> None:
    for customer in generated_world.customers.values():
        first, second, digits = customer.password.split("-")
        assert first.isalpha()
        assert second.isalpha()
        assert digits.isdigit()


def test_customer_language_and_address_country_follow_the_bank(generated_world: World) -> None:
    for customer in generated_world.customers.values():
        bank = generated_world.banks[customer.bank_id]
        assert customer.language == bank.language
        assert customer.address.country == bank.country


def test_every_customer_has_checking_with_overdraft_and_debit_card(
    default_world: World,
) -> None:
    for customer in default_world.customers.values():
        checking = [
            a
            for a in default_world.customer_accounts(customer.id)
            if a.kind is AccountKind.CHECKING
        ]
        assert len(checking) == 1
        assert checking[0].credit_limit > 0
        assert any(card.account_id == checking[0].id for card in default_world.cards.values())


def test_most_customers_have_savings_and_credit_card(default_world: World) -> None:
    kinds = Counter(a.kind for a in default_world.accounts.values())
    customers = len(default_world.customers)
    assert kinds[AccountKind.SAVINGS] > customers / 2
    assert kinds[AccountKind.CREDIT_CARD] > customers / 2


def test_credit_card_account_shows_masked_pan_of_its_card(default_world: World) -> None:
    for account in default_world.accounts.values():
        if account.kind is AccountKind.CREDIT_CARD:
            cards = [c for c in default_world.cards.values() if c.account_id == account.id]
            assert len(cards) == 1
            assert account.masked_pan == cards[0].masked_pan
            assert account.iban is None


def test_card_numbers_are_luhn_valid_and_masked(default_world: World) -> None:
    for card in default_world.cards.values():
        assert is_luhn_valid(card.pan)
        assert card.masked_pan[:6] == card.pan[:6]
        assert card.masked_pan[-4:] == card.pan[-4:]
        assert card.pan[6:-4] not in card.masked_pan
        assert card.expiry > TODAY


def test_german_accounts_have_valid_ibans_with_the_bank_code(default_world: World) -> None:
    for account in default_world.accounts.values():
        bank = default_world.banks[account.bank_id]
        if bank.country == "DE" and account.kind is not AccountKind.CREDIT_CARD:
            assert account.iban is not None
            assert is_valid_iban(account.iban)
            assert account.iban[4:12] == bank.bank_code


def test_us_accounts_have_routing_and_account_number_and_no_iban(default_world: World) -> None:
    for account in default_world.accounts.values():
        bank = default_world.banks[account.bank_id]
        if bank.country == "US" and account.kind is not AccountKind.CREDIT_CARD:
            assert account.iban is None
            assert account.bban is not None
            assert account.bban.startswith(bank.bank_code)
            assert account.bban.isdigit()


def test_account_ids_are_opaque_and_unique(default_world: World) -> None:
    ids = [a.id for a in default_world.accounts.values()]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


@given(st.text("0123456789", min_size=1, max_size=18), st.data())
def test_luhn_check_digit_catches_any_single_changed_digit(
    digits: str, data: st.DataObject
) -> None:
    number = luhn_complete(digits)
    position = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    assert is_luhn_valid(number)
    assert not is_luhn_valid(number[:position] + other + number[position + 1 :])


# -- transactions ---------------------------------------------------------------------


def test_tens_of_thousands_of_transactions_by_default(default_world: World) -> None:
    assert len(default_world.transaction_index) > 10_000


def test_all_categories_present(default_world: World) -> None:
    present = {t.category for t in default_world.transaction_index.values()}
    assert present == set(Category)


def test_transactions_span_the_months_up_to_today(default_world: World) -> None:
    days = [t.value_date for t in default_world.transaction_index.values()]
    assert min(days) == months_before(TODAY, 18) + timedelta(days=1)
    assert max(days) == TODAY


def test_salary_arrives_once_a_month(default_world: World) -> None:
    for account in default_world.accounts.values():
        if account.kind is AccountKind.CHECKING:
            months = Counter(
                (t.value_date.year, t.value_date.month)
                for t in default_world.transactions[account.id]
                if t.bank_transaction_code == CODE_SALARY
            )
            assert len(months) >= 17
            assert set(months.values()) == {1}


def test_transactions_are_listed_in_date_order(default_world: World) -> None:
    for transactions in default_world.transactions.values():
        dates = [t.sort_date for t in transactions]
        assert dates == sorted(dates)


def test_amounts_are_decimals_with_two_places(generated_world: World) -> None:
    for tx in generated_world.transaction_index.values():
        assert isinstance(tx.amount, Decimal)
        assert tx.amount.as_tuple().exponent == -2
        assert tx.amount != 0


def test_card_payments_carry_merchant_place_and_card(default_world: World) -> None:
    for tx in card_payments(default_world):
        assert tx.amount < 0
        assert tx.merchant
        assert tx.mcc is not None
        assert len(tx.mcc) == 4
        assert tx.terminal_id
        assert tx.country
        assert tx.card_id in default_world.cards
        assert default_world.cards[tx.card_id].account_id == tx.account_id
        assert (tx.city is None) == (tx.latitude is None)


def test_terminal_is_stable_per_merchant_location(default_world: World) -> None:
    locations: dict[str, set[tuple[object, ...]]] = defaultdict(set)
    for tx in card_payments(default_world):
        assert tx.terminal_id is not None
        locations[tx.terminal_id].add((tx.merchant, tx.city, tx.latitude, tx.longitude))
    assert all(len(places) == 1 for places in locations.values())
    assert len(locations) > 50


def test_merchants_are_german_for_german_banks(default_world: World) -> None:
    german_text = {"Kartenzahlung", "Lohn/Gehalt", "Miete"}
    for tx in default_world.transaction_index.values():
        bank = default_world.banks[default_world.accounts[tx.account_id].bank_id]
        words = set((tx.remittance or "").split())
        if bank.country == "US":
            assert not words & german_text
        elif tx.card_id is not None:
            assert tx.remittance is not None
            assert tx.remittance.startswith("Kartenzahlung")


def test_ledger_total_is_zero_per_bank(default_world: World) -> None:
    for ledger in default_world.ledgers.values():
        assert ledger.total() == 0


def test_no_account_is_below_its_floor(default_world: World) -> None:
    for account in default_world.accounts.values():
        available = default_world.ledger_of(account.id).available(account.id)
        assert available is not None
        assert available >= 0
        assert default_world.booked_balance(account.id) >= -account.credit_limit


def test_booked_balance_equals_sum_of_booked_transactions(default_world: World) -> None:
    for account_id, transactions in default_world.transactions.items():
        booked = sum(
            (t.amount for t in transactions if t.status is BookingStatus.BOOKED), Decimal(0)
        )
        assert default_world.booked_balance(account_id) == booked


def test_own_transfers_appear_on_both_accounts(default_world: World) -> None:
    journal = {
        entry.reference: entry
        for ledger in default_world.ledgers.values()
        for entry in ledger.journal
    }
    debits = [
        t
        for t in default_world.transaction_index.values()
        if t.bank_transaction_code == CODE_OWN_OUT
    ]
    assert debits
    for debit in debits:
        postings = journal[debit.id].postings
        credit_account = next(p.account_id for p in postings if p.account_id != debit.account_id)
        assert default_world.accounts[credit_account].customer_id == (
            default_world.accounts[debit.account_id].customer_id
        )
        assert any(
            t.amount == -debit.amount and t.value_date == debit.value_date
            for t in default_world.transactions[credit_account]
        )


def test_transfers_to_other_people_name_the_payee_and_iban(default_world: World) -> None:
    german_accounts = [a for a in default_world.accounts.values() if a.iban]
    outgoing = [
        t
        for a in german_accounts
        for t in default_world.transactions[a.id]
        if t.category is Category.OTHER
        and t.amount < 0
        and t.bank_transaction_code == "PMNT-ICDT-ESCT"
    ]
    assert outgoing
    for tx in outgoing:
        assert tx.counterparty_name
        assert tx.counterparty_iban is not None
        assert is_valid_iban(tx.counterparty_iban)


def test_card_accounts_are_settled_from_checking(default_world: World) -> None:
    for account in default_world.accounts.values():
        if account.kind is AccountKind.CREDIT_CARD:
            transactions = default_world.transactions[account.id]
            assert any(t.amount > 0 for t in transactions)


def test_pending_transactions_are_in_the_last_days(generated_world: World) -> None:
    pending = [
        t for t in generated_world.transaction_index.values() if t.status is BookingStatus.PENDING
    ]
    assert pending
    for tx in pending:
        assert tx.booking_date is None
        assert (TODAY - tx.value_date).days < PENDING_DAYS


def test_earlier_pending_payments_were_booked_later(generated_world: World) -> None:
    booked_late = [
        t
        for t in generated_world.transaction_index.values()
        if t.booking_date is not None and t.booking_date > t.value_date
    ]
    assert booked_late
    assert all(t.status is BookingStatus.BOOKED for t in booked_late)


def test_booking_a_pending_transaction_keeps_its_ids(generated_world: World) -> None:
    tx = next(
        t for t in generated_world.transaction_index.values() if t.status is BookingStatus.PENDING
    )
    tx_id, reference = tx.id, tx.entry_reference
    booked = generated_world.book(tx_id, TODAY)
    assert booked.id == tx_id
    assert booked.entry_reference == reference
    assert booked.status is BookingStatus.BOOKED
    assert [t.id for t in generated_world.transactions[tx.account_id]].count(tx_id) == 1


# -- fraud ---------------------------------------------------------------------------


def test_fraud_labels_cover_all_three_patterns(default_world: World) -> None:
    assert set(fraud_labels(default_world).values()) == set(FraudPattern)


def test_fraud_is_a_small_share_of_card_payments(default_world: World) -> None:
    share = len(fraud_labels(default_world)) / len(card_payments(default_world))
    assert 0.003 <= share <= 0.012


def test_fraud_labels_are_the_transactions_labels(default_world: World) -> None:
    labels = fraud_labels(default_world)
    for tx_id, pattern in labels.items():
        assert default_world.transaction_index[tx_id].fraud is pattern
    unlabelled = [t for t in default_world.transaction_index.values() if t.id not in labels]
    assert all(t.fraud is None for t in unlabelled)


def test_fraud_is_only_on_card_payments(default_world: World) -> None:
    for tx_id in fraud_labels(default_world):
        assert default_world.transaction_index[tx_id].card_id is not None


def test_amount_outliers_are_far_above_the_customers_usual_spend(default_world: World) -> None:
    usual: dict[str, list[Decimal]] = defaultdict(list)
    for tx in card_payments(default_world):
        if tx.fraud is None:
            usual[default_world.accounts[tx.account_id].customer_id].append(-tx.amount)
    for tx in card_payments(default_world):
        if tx.fraud is FraudPattern.AMOUNT_OUTLIER:
            customer_id = default_world.accounts[tx.account_id].customer_id
            assert -tx.amount >= 5 * median(usual[customer_id])


def test_compromised_terminals_are_few(default_world: World) -> None:
    terminals = {
        tx.terminal_id
        for tx in card_payments(default_world)
        if tx.fraud is FraudPattern.COMPROMISED_TERMINAL
    }
    assert 1 <= len(terminals) <= 4 * len(default_world.banks)


def test_every_payment_at_a_compromised_terminal_that_day_is_fraud(
    default_world: World,
) -> None:
    compromised = {
        (tx.terminal_id, tx.value_date)
        for tx in card_payments(default_world)
        if tx.fraud is FraudPattern.COMPROMISED_TERMINAL
    }
    for tx in card_payments(default_world):
        if (tx.terminal_id, tx.value_date) in compromised:
            assert tx.fraud is FraudPattern.COMPROMISED_TERMINAL


def test_compromised_card_fraud_stays_on_few_cards(default_world: World) -> None:
    cards = {
        tx.card_id
        for tx in card_payments(default_world)
        if tx.fraud is FraudPattern.COMPROMISED_CARD
    }
    assert 1 <= len(cards) <= 2 * len(default_world.banks)


def _last_skimmed_day(world: World) -> dict[str | None, date]:
    last: dict[str | None, date] = {}
    for tx in card_payments(world):
        if tx.fraud is FraudPattern.COMPROMISED_TERMINAL:
            last[tx.terminal_id] = max(tx.value_date, last.get(tx.terminal_id, tx.value_date))
    return last


# A skimmer's window lasts at most 21 days, so its last fraud is at most 20 days before
# the window ends; the bank learns of it TERMINAL_DISCOVERY_DAYS after that.
LONGEST_DISCOVERY = timedelta(days=20 + TERMINAL_DISCOVERY_DAYS)


def test_terminal_skimmed_long_ago_is_marked_at_the_bank(default_world: World) -> None:
    long_ago = {
        terminal
        for terminal, last in _last_skimmed_day(default_world).items()
        if last + LONGEST_DISCOVERY <= TODAY
    }
    assert long_ago
    assert long_ago <= partner_of(default_world).compromised_terminals


def test_bank_marks_only_terminals_that_were_skimmed(default_world: World) -> None:
    marked = partner_of(default_world).compromised_terminals
    assert marked <= set(_last_skimmed_day(default_world))


def test_terminal_skimmed_in_the_last_days_is_not_yet_known() -> None:
    world = small_world(seed=17)  # a seed whose last skimming ends days before today
    recent = {
        terminal
        for terminal, last in _last_skimmed_day(world).items()
        if last + timedelta(days=TERMINAL_DISCOVERY_DAYS) > TODAY
    }
    assert recent
    assert recent.isdisjoint(partner_of(world).compromised_terminals)
