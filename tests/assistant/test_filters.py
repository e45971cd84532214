"""Reading what a transaction question filters by: comparators, direction, the filter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.handlers.filters import (
    TransactionFilter,
    comparator_in,
    direction_in,
    last_days,
    period_of,
    this_month,
    with_text_hints,
)
from bankchat.vault.records import StoredTransaction, TransactionRecord

MOMENT = datetime(2026, 11, 20, tzinfo=UTC)


def stored(amount: str, **fields: str) -> StoredTransaction:
    record = TransactionRecord(
        key="k",
        status="booked",
        booking_date=date(2026, 11, 20),
        amount=Decimal(amount),
        currency=fields.pop("currency", "EUR"),
        **fields,
    )
    return StoredTransaction("t", "a", record, None, MOMENT, MOMENT)


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("Umsätze über 50 €", "gt"),
        ("zahlungen mehr als 100 euro", "gt"),
        ("payments over $20", "gt"),
        ("transactions above 20", "gt"),
        ("alles unter 10,00 €", "lt"),
        ("less than 5 dollars", "lt"),
        ("mindestens 30 Euro", "ge"),
        ("at least 30", "ge"),
        ("höchstens 12,50", "le"),
        ("no more than 40 bucks", "le"),
    ],
)
def test_comparator_words_before_an_amount_are_read(text: str, comparator: str) -> None:
    assert comparator_in(text) == comparator


def test_a_plain_amount_has_no_comparator() -> None:
    assert comparator_in("Umsätze von 50 €") is None


def test_a_comparator_word_without_an_amount_is_no_comparator() -> None:
    assert comparator_in("what did I spend over the weekend") is None


@given(st.text(max_size=40))
def test_any_text_is_read_without_error(text: str) -> None:
    assert comparator_in(text) in (None, "gt", "ge", "lt", "le")
    assert direction_in(text) in (None, "in", "out")


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Zeig mir meine Eingänge", "in"),
        ("show incoming payments", "in"),
        ("when did I get paid", "in"),
        ("what came in and what went out, received and spent", None),
        ("money I received last week", "in"),
        ("alle Abbuchungen im Oktober", "out"),
        ("show my outgoing transactions", "out"),
        ("zeig meine Umsätze", None),
    ],
)
def test_direction_words_are_read(text: str, direction: str | None) -> None:
    assert direction_in(text) == direction


def test_the_comparator_is_kept_only_with_an_amount() -> None:
    assert with_text_hints({}, "mehr als 50 €") == {}
    assert with_text_hints({"amount": "50.00"}, "mehr als 50 €") == {
        "amount": "50.00",
        "comparator": "gt",
    }


def test_a_named_period_is_used() -> None:
    entities = {"period": {"from": "2026-10-01", "to": "2026-10-31"}}
    assert period_of(entities, this_month(date(2026, 11, 23))) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )


def test_without_a_period_the_default_is_used() -> None:
    assert period_of({}, last_days(date(2026, 11, 23))) == (date(2026, 10, 25), date(2026, 11, 23))


def test_the_merchant_matches_any_case_in_merchant_counterparty_or_remittance() -> None:
    wanted = TransactionFilter.of({"merchant": "amazon"})
    assert wanted.matches(stored("-5", merchant="AMAZON EU"))
    assert wanted.matches(stored("-5", counterparty_name="Amazon Payments"))
    assert wanted.matches(stored("-5", remittance="Bestellung bei Amazon 123"))
    assert not wanted.matches(stored("-5", merchant="REWE"))


def test_a_plain_amount_matches_exactly_either_way() -> None:
    wanted = TransactionFilter.of({"amount": "12.50"})
    assert wanted.matches(stored("-12.50"))
    assert wanted.matches(stored("12.50"))
    assert not wanted.matches(stored("-12.51"))


def test_over_an_amount_means_strictly_more() -> None:
    wanted = TransactionFilter.of({"amount": "50.00", "comparator": "gt"})
    assert wanted.matches(stored("-50.01"))
    assert not wanted.matches(stored("-50.00"))


def test_the_direction_keeps_only_incoming_or_outgoing() -> None:
    incoming = TransactionFilter.of({"direction": "in"})
    assert incoming.matches(stored("10"))
    assert not incoming.matches(stored("-10"))


def test_the_income_category_means_incoming_money() -> None:
    wanted = TransactionFilter.of({"category": "income"})
    assert wanted.matches(stored("2500", remittance="Gehalt"))
    assert not wanted.matches(stored("-20", remittance="Gehalt zurück"))


def test_a_named_currency_keeps_only_that_currency() -> None:
    wanted = TransactionFilter.of({"currency": "USD"})
    assert wanted.matches(stored("-3", currency="USD"))
    assert not wanted.matches(stored("-3"))
