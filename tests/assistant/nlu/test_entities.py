"""``extract_entities``: every entity (checked in the contract's JSON form), and which intent
gets which."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.entities import extract_entities, find_entities
from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.language import Language

TODAY = date(2026, 11, 23)
REGISTRY = ("Lindenbank", "Kranich Bank", "Prairie Lantern Bank", "Bluefin Harbor Bank")


def _entities(text: str, language: Language, intent: Intent) -> dict[str, Any]:
    return extract_entities(text, language, intent, TODAY, REGISTRY).to_json()


@pytest.mark.parametrize(
    ("text", "language", "intent", "expected"),
    [
        (
            "Schick Max Müller 12,50 € für die Pizza",
            "de",
            Intent.SEND_MONEY,
            {"amount": "12.50", "currency": "EUR", "recipient": "Max Müller"},
        ),
        ("send mom 20", "en", Intent.SEND_MONEY, {"amount": "20.00", "recipient": "mom"}),
        (
            "request 30 from Lisa for the tickets",
            "en",
            Intent.REQUEST_MONEY,
            {"amount": "30.00", "recipient": "Lisa"},
        ),
        (
            "what did I spend at Amazon last month",
            "en",
            Intent.SPENDING_SUMMARY,
            {"period": {"from": "2026-10-01", "to": "2026-10-31"}, "merchant": "Amazon"},
        ),
        (
            "Ausgaben für Lebensmittel seit 3. März",
            "de",
            Intent.SPENDING_SUMMARY,
            {"period": {"from": "2026-03-03", "to": "2026-11-23"}, "category": "groceries"},
        ),
        (
            "show transactions over 100 euros in the last 30 days",
            "en",
            Intent.LIST_TRANSACTIONS,
            {
                "amount": "100.00",
                "currency": "EUR",
                "period": {"from": "2026-10-25", "to": "2026-11-23"},
            },
        ),
        (
            "Kontostand Girokonto bei der Kranich Bank",
            "de",
            Intent.CHECK_BALANCE,
            {"account_type": "checking", "bank": "Kranich Bank"},
        ),
        (
            "Umsätze bei Bäckerei Schmidt letzte Woche",
            "de",
            Intent.LIST_TRANSACTIONS,
            {"period": {"from": "2026-11-16", "to": "2026-11-22"}, "merchant": "Bäckerei Schmidt"},
        ),
        ("hallo", "de", Intent.GREET, {}),
    ],
)
def test_utterance_gives_contract_entities(
    text: str, language: Language, intent: Intent, expected: dict[str, Any]
) -> None:
    assert _entities(text, language, intent) == expected


@pytest.mark.parametrize(
    "intent", [Intent.LIST_TRANSACTIONS, Intent.CHECK_BALANCE, Intent.SPENDING_SUMMARY]
)
def test_recipient_is_only_for_payments(intent: Intent) -> None:
    assert "recipient" not in _entities("send mom 20", "en", intent)


def test_purpose_of_a_payment_is_no_category() -> None:
    found = _entities("schick Anna 20 Euro für Lebensmittel", "de", Intent.SEND_MONEY)
    assert "category" not in found


def test_recipient_is_not_also_a_merchant() -> None:
    found = _entities("send Otto Becker 20", "en", Intent.SEND_MONEY)
    assert (found.get("recipient"), "merchant" in found) == ("Otto Becker", False)


def test_bare_number_is_no_amount_outside_money_intents() -> None:
    assert "amount" not in _entities("I have 2 questions", "en", Intent.HELP)


def test_amount_with_currency_is_kept_for_any_intent() -> None:
    found = _entities("they took 50 euros from me", "en", Intent.OUT_OF_SCOPE)
    assert (found.get("amount"), found.get("currency")) == ("50.00", "EUR")


def test_bare_number_word_is_no_amount_outside_payments() -> None:
    assert "amount" not in _entities("show me ten transactions", "en", Intent.LIST_TRANSACTIONS)


def test_bare_year_is_a_period_outside_payments() -> None:
    found = _entities("Wie viel habe ich 2025 für Miete bezahlt", "de", Intent.SPENDING_SUMMARY)
    assert found == {"period": {"from": "2025-01-01", "to": "2025-12-31"}, "category": "rent"}


def test_bare_year_like_number_is_an_amount_in_payments() -> None:
    found = _entities("send Max 2000", "en", Intent.SEND_MONEY)
    assert found == {"amount": "2000.00", "recipient": "Max"}


def test_count_of_transactions_is_no_amount() -> None:
    assert _entities("zeig mir die letzten 5 Buchungen", "de", Intent.LIST_TRANSACTIONS) == {}


def test_date_number_with_a_currency_is_an_amount_not_a_date() -> None:
    found = _entities("send Jan 20 euros", "en", Intent.SEND_MONEY)
    assert found == {"amount": "20.00", "currency": "EUR", "recipient": "Jan"}


def test_account_type_target_is_no_recipient() -> None:
    found = _entities("transfer 100 to my savings", "en", Intent.SEND_MONEY)
    assert found == {"amount": "100.00", "account_type": "savings"}


def test_unknown_merchant_is_only_for_transaction_intents() -> None:
    found = _entities("Kontostand bei Bäckerei Schmidt", "de", Intent.CHECK_BALANCE)
    assert "merchant" not in found


def test_bank_counts_as_no_merchant() -> None:
    found = _entities("Umsätze bei der Lindenbank", "de", Intent.LIST_TRANSACTIONS)
    assert found == {"bank": "Lindenbank"}


def test_typed_entities_keep_their_spans() -> None:
    text = "überweise 50 Euro an anna"
    found = find_entities(text, "de", Intent.SEND_MONEY, TODAY)
    assert found.amount is not None
    assert found.recipient is not None
    assert (text[found.amount.start : found.amount.end], found.recipient.name) == (
        "50 Euro",
        "anna",
    )


def test_entities_are_plain_json() -> None:
    found = _entities("since 3 March at Lidl", "en", Intent.LIST_TRANSACTIONS)
    assert found == {"period": {"from": "2026-03-03", "to": "2026-11-23"}, "merchant": "Lidl"}


PIECES = [
    "send",
    "schick",
    "an",
    "to",
    "from",
    "bei",
    "at",
    "since",
    "seit",
    "last",
    "letzten",
    "März",
    "may",
    "3.",
    "3/4",
    "12,50",
    "1.250,00",
    "€",
    "$",
    "Euro",
    "bucks",
    "20",
    "2025",
    "Tage",
    "days",
    "week",
    "Woche",
    "Anna",
    "max müller",
    "REWE",
    "gas",
    "Girokonto",
    "Kranich Bank",
    "für",
    "-",
    ",",
    "zwanzig",
    "twenty",
    "k",
    "%",
    "DE89",
    "'",
    "&",
]
utterances = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join),
)
AMOUNT_RE = re.compile(r"\d+\.\d{2}")


@given(utterances, st.sampled_from(list(Intent)), st.sampled_from(["de", "en"]))
def test_any_utterance_gives_well_formed_entities(
    text: str, intent: Intent, language: Language
) -> None:
    found = _entities(text, language, intent)
    assert set(found) <= {
        "amount",
        "currency",
        "recipient",
        "period",
        "merchant",
        "category",
        "account_type",
        "bank",
    }
    assert "amount" in found or "currency" not in found
    if "amount" in found:
        assert AMOUNT_RE.fullmatch(found["amount"])
    if "period" in found:
        assert found["period"]["from"] <= found["period"]["to"]
    assert found.get("category", "other") in set(Category)
    assert found.get("account_type", "savings") in set(AccountType)
    for name in ("recipient", "merchant", "bank"):
        assert found.get(name, "x") in text or name not in found
