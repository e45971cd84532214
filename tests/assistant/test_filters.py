"""Reading what a transaction question filters by: comparators, direction, the filter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.handlers.filters import TransactionFilter, last_days, this_month
from bankchat.assistant.hints import Hints, comparator_in, direction_in
from bankchat.assistant.nlu.intents import Category
from bankchat.assistant.nlu.result import Entities, Period
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
    assert Hints.read("mehr als 50 €", Entities()) == Hints()
    assert Hints.read("mehr als 50 €", Entities(amount=Decimal("50.00"))) == Hints("gt")


def test_hints_survive_their_json_form() -> None:
    hints = Hints("le", "out")
    assert hints.to_json() == {"comparator": "le", "direction": "out"}
    assert Hints.from_json({"amount": "5.00", **hints.to_json()}) == hints
    assert Hints.from_json({"comparator": "most", "direction": 1}) == Hints()


def test_the_default_periods() -> None:
    today = date(2026, 11, 23)
    assert last_days(today) == Period(date(2026, 10, 25), today)
    assert this_month(today) == Period(date(2026, 11, 1), today)


def test_the_merchant_matches_any_case_in_merchant_counterparty_or_remittance() -> None:
    wanted = TransactionFilter.of(Entities(merchant="amazon"))
    assert wanted.matches(stored("-5", merchant="AMAZON EU"))
    assert wanted.matches(stored("-5", counterparty_name="Amazon Payments"))
    assert wanted.matches(stored("-5", remittance="Bestellung bei Amazon 123"))
    assert not wanted.matches(stored("-5", merchant="REWE"))


def test_a_plain_amount_matches_exactly_either_way() -> None:
    wanted = TransactionFilter.of(Entities(amount=Decimal("12.50")))
    assert wanted.matches(stored("-12.50"))
    assert wanted.matches(stored("12.50"))
    assert not wanted.matches(stored("-12.51"))


def test_over_an_amount_means_strictly_more() -> None:
    wanted = TransactionFilter.of(Entities(amount=Decimal("50.00")), Hints("gt"))
    assert wanted.matches(stored("-50.01"))
    assert not wanted.matches(stored("-50.00"))


def test_the_direction_keeps_only_incoming_or_outgoing() -> None:
    incoming = TransactionFilter.of(Entities(), Hints(direction="in"))
    assert incoming.matches(stored("10"))
    assert not incoming.matches(stored("-10"))


def test_the_income_category_means_incoming_money() -> None:
    wanted = TransactionFilter.of(Entities(category=Category.INCOME))
    assert wanted.matches(stored("2500", remittance="Gehalt"))
    assert not wanted.matches(stored("-20", remittance="Gehalt zurück"))


def test_a_named_currency_keeps_only_that_currency() -> None:
    wanted = TransactionFilter.of(Entities(currency="USD"))
    assert wanted.matches(stored("-3", currency="USD"))
    assert not wanted.matches(stored("-3"))
