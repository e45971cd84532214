"""Categorising transactions: merchant category codes, bank transaction codes, words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.categories import categorise, category_of_code, category_of_mcc
from bankchat.assistant.nlu.intents import Category
from bankchat.vault.records import TransactionRecord


def record(amount: str = "-10.00", **fields: str) -> TransactionRecord:
    return TransactionRecord(
        key="k",
        status="booked",
        booking_date=date(2026, 11, 20),
        amount=Decimal(amount),
        currency="EUR",
        **fields,
    )


@pytest.mark.parametrize(
    ("mcc", "category"),
    [
        ("5411", Category.GROCERIES),
        ("5462", Category.GROCERIES),
        ("5812", Category.RESTAURANTS),
        ("5814", Category.RESTAURANTS),
        ("5541", Category.TRANSPORT),
        ("4111", Category.TRANSPORT),
        ("4121", Category.TRANSPORT),
        ("4511", Category.TRAVEL),
        ("3005", Category.TRAVEL),
        ("7011", Category.TRAVEL),
        ("5651", Category.SHOPPING),
        ("5999", Category.SHOPPING),
        ("5912", Category.HEALTH),
        ("8021", Category.HEALTH),
        ("6011", Category.CASH),
        ("7832", Category.ENTERTAINMENT),
        ("5815", Category.ENTERTAINMENT),
        ("4900", Category.UTILITIES),
        ("4814", Category.UTILITIES),
        ("6513", Category.RENT),
    ],
)
def test_merchant_category_codes_map_to_their_category(mcc: str, category: Category) -> None:
    assert category_of_mcc(mcc) is category


@pytest.mark.parametrize("mcc", [None, "", "541", "54111", "ab12", "0001", "9999"])
def test_unknown_or_malformed_codes_name_no_category(mcc: str | None) -> None:
    assert category_of_mcc(mcc) is None


@given(st.text(max_size=6))
def test_any_text_as_merchant_category_code_is_answered_without_error(mcc: str) -> None:
    assert category_of_mcc(mcc) is None or isinstance(category_of_mcc(mcc), Category)


def test_salary_by_bank_transaction_code_is_income() -> None:
    assert category_of_code("PMNT-RCDT-SALA") is Category.INCOME


def test_a_cash_withdrawal_by_card_is_cash() -> None:
    assert category_of_code("PMNT-CCRD-CWDL") is Category.CASH


def test_a_card_payment_code_alone_names_no_category() -> None:
    assert category_of_code("PMNT-CCRD-POSD") is None


def test_the_merchant_category_code_wins_over_words() -> None:
    assert categorise(record(mcc="5812", counterparty_name="Miete Bistro")) is Category.RESTAURANTS


@pytest.mark.parametrize(
    ("fields", "category"),
    [
        ({"remittance": "Miete Dezember"}, Category.RENT),
        ({"remittance": "Rent for December"}, Category.RENT),
        ({"counterparty_name": "Stadtwerke Strom"}, Category.UTILITIES),
        ({"remittance": "Gehalt November"}, Category.INCOME),
        ({"counterparty_name": "Geldautomat Hauptbahnhof"}, Category.CASH),
        ({"counterparty_name": "ATM Main Street"}, Category.CASH),
        ({"counterparty_name": "Apotheke am Markt"}, Category.HEALTH),
    ],
)
def test_words_in_names_and_texts_name_the_category(
    fields: dict[str, str], category: Category
) -> None:
    assert categorise(record(**fields)) is category


def test_a_word_inside_another_word_is_no_hint() -> None:
    # "Gasthaus" starts with "gas" but is no utility bill.
    assert categorise(record(counterparty_name="Gasthaus Zum Anker")) is Category.RESTAURANTS


def test_unexplained_money_coming_in_is_income() -> None:
    assert categorise(record("25.00", counterparty_name="Erika Muster")) is Category.INCOME


def test_unexplained_money_going_out_is_other() -> None:
    assert categorise(record("-25.00", counterparty_name="Erika Muster")) is Category.OTHER
