"""Amounts in German and English notation: values, currencies, and numbers that are not money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.amounts import (
    AmountMatch,
    choose_amount,
    english_number_words,
    find_amount,
    find_amounts,
    german_number_word,
    parse_number,
)
from bankchat.language import Language


def _amount(text: str, language: Language) -> tuple[str, str | None] | None:
    found = find_amount(text, language)
    return None if found is None else (found.text, found.currency)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1.250,00", "1250.00"),
        ("1,250.00", "1250.00"),
        ("1,200", "1200"),
        ("1.200", "1200"),
        ("12,5", "12.5"),
        ("12.50", "12.50"),
        ("1.000.000", "1000000"),
        ("1,000,000.5", "1000000.5"),
        ("1 000", "1000"),
        ("1'234.50", "1234.50"),
        ("0,500", "0.5"),
        ("42", "42"),
    ],
)
def test_number_shapes_read_as_documented(written: str, value: str) -> None:
    assert parse_number(written) == Decimal(value)


@pytest.mark.parametrize("written", ["3.3.26", "1.2.3", "12,34,5", "1.2345", "1,23.4", "01.000"])
def test_shapes_no_amount_has_are_rejected(written: str) -> None:
    assert parse_number(written) is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1.250,00", "de", ("1250.00", None)),
        ("1,200", "en", ("1200.00", None)),
        ("12,50 €", "de", ("12.50", "EUR")),
        ("€12.50", "en", ("12.50", "EUR")),
        ("$45.50", "en", ("45.50", "USD")),
        ("45.50$", "en", ("45.50", "USD")),
        ("20 Euro", "de", ("20.00", "EUR")),
        ("20 EUR", "de", ("20.00", "EUR")),
        ("EUR 20", "de", ("20.00", "EUR")),
        ("12 bucks", "en", ("12.00", "USD")),
        ("5 Pfund", "de", ("5.00", "GBP")),
        ("£5", "en", ("5.00", "GBP")),
        ("CHF 10", "de", ("10.00", "CHF")),
        ("10 Franken", "de", ("10.00", "CHF")),
        ("12,-", "de", ("12.00", None)),
        ("850,- €", "de", ("850.00", "EUR")),
        ("1 000 €", "de", ("1000.00", "EUR")),
        ("1.5k", "en", ("1500.00", None)),
        ("2k dollars", "en", ("2000.00", "USD")),
        ("12 Euro 50", "de", ("12.50", "EUR")),
        ("50 cents", "en", ("0.50", None)),
        ("US$1,234.50", "en", ("1234.50", "USD")),
        ("CHF1,234,567.50", "en", ("1234567.50", "CHF")),
        ("1’234’567.50 Schweizer Franken", "de", ("1234567.50", "CHF")),
        ("1,234.56 US dollars", "en", ("1234.56", "USD")),
        ("99 Euros", "de", ("99.00", "EUR")),
    ],
)
def test_written_amount_gives_value_and_currency(
    text: str, language: Language, expected: tuple[str, str | None]
) -> None:
    assert _amount(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("zwanzig Euro", "de", ("20.00", "EUR")),
        ("twenty euros", "en", ("20.00", "EUR")),
        ("schick anna fünf", "de", ("5.00", None)),
        ("send mom ten", "en", ("10.00", None)),
        ("fünfundzwanzig Euro", "de", ("25.00", "EUR")),
        ("hundertfünfzig", "de", ("150.00", None)),
        ("zweitausendfünfhundert Euro", "de", ("2500.00", "EUR")),
        ("one hundred and twenty five dollars", "en", ("125.00", "USD")),
        ("twenty-five bucks", "en", ("25.00", "USD")),
        ("a hundred quid", "en", ("100.00", "GBP")),
        ("a tenner", "en", ("10.00", None)),
        ("einen Zehner", "de", ("10.00", None)),
        ("nen Fuffi", "de", ("50.00", None)),
        ("ein Euro", "de", ("1.00", "EUR")),
        ("€ zwanzig", "de", ("20.00", "EUR")),
    ],
)
def test_number_words_are_amounts(
    text: str, language: Language, expected: tuple[str, str | None]
) -> None:
    assert _amount(text, language) == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("eins", 1),
        ("zwoelf", 12),
        ("siebzehn", 17),
        ("einundzwanzig", 21),
        ("dreissig", 30),
        ("funfzig", 50),
        ("hundert", 100),
        ("einhundertzwei", 102),
        ("tausend", 1000),
        ("dreitausendundeins", 3001),
    ],
)
def test_german_number_words_have_their_value(key: str, value: int) -> None:
    assert german_number_word(key) == value


@pytest.mark.parametrize("key", ["und", "zehnzehn", "hundertx", "tausendtausendx", "anna"])
def test_german_non_numbers_have_no_value(key: str) -> None:
    assert german_number_word(key) is None


@pytest.mark.parametrize(
    ("words", "value"),
    [
        (["seven"], 7),
        (["ninety", "nine"], 99),
        (["twenty-one"], 21),
        (["two", "hundred"], 200),
        (["one", "thousand", "two", "hundred", "and", "five"], 1205),
        (["fifteen", "hundred"], 1500),
        (["two", "grand"], 2000),
    ],
)
def test_english_number_words_have_their_value(words: list[str], value: int) -> None:
    assert english_number_words(words) == value


@pytest.mark.parametrize("words", [["five", "five"], ["twenty", "thirty"], ["and"], ["ten", "and"]])
def test_english_word_salad_has_no_value(words: list[str]) -> None:
    assert english_number_words(words) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("last 30 days", "en"),
        ("in den letzten 30 Tagen", "de"),
        ("zeig mir die letzten 5 Buchungen", "de"),
        ("the last 5 transactions", "en"),
        ("top 3 categories", "en"),
        ("am 3. März", "de"),
        ("on March 3rd", "en"),
        ("seit 03.03.2026", "de"),
        ("seit 3.3.", "de"),
        ("since 2026-03-03", "en"),
        ("since 3/4/2026", "en"),
        ("im Jahr 2025", "de"),
        ("since 2024", "en"),
        ("um 14:30", "de"),
        ("um 15 Uhr", "de"),
        ("at 3pm", "en"),
        ("card ending in 4242", "en"),
        ("Karte mit Endung 1234", "de"),
        ("**** 4242", "en"),
        ("4111 1111 1111 1111", "en"),
        ("DE89 3704 0044 0532 0130 00", "de"),
        ("5% more", "en"),
        ("20 Prozent", "de"),
        ("the 2nd payment", "en"),
        ("Konto 12345678", "de"),
        ("I need help with two things", "en"),
        ("last seven days", "en"),
        ("zwei Buchungen", "de"),
        ("ein paar Fragen", "de"),
        ("Art. 15", "de"),
    ],
)
def test_numbers_that_are_not_money_are_not_amounts(text: str, language: Language) -> None:
    assert find_amount(text, language) is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Schick Anna 20 am Montag", "de", ("20.00", None)),
        ("send Jan 20 euros", "en", ("20.00", "EUR")),
        ("die letzten 50 Euro", "de", ("50.00", "EUR")),
        ("am 3. März 20 Euro", "de", ("20.00", "EUR")),
        ("send 2000 to Max", "en", ("2000.00", None)),
        ("Schick Anna 12.50.", "de", ("12.50", None)),
        ("a payment of 2000", "en", ("2000.00", None)),
    ],
)
def test_amount_next_to_a_date_like_word_is_still_found(
    text: str, language: Language, expected: tuple[str, str | None]
) -> None:
    assert _amount(text, language) == expected


def test_amount_span_covers_number_and_currency() -> None:
    text = "Schick Max Müller 12,50 € für die Pizza"
    found = find_amount(text, "de")
    assert found is not None
    assert text[found.start : found.end] == "12,50 €"


def test_first_amount_with_a_currency_is_chosen() -> None:
    found = find_amount("send Tom 3 times 20 euros", "en")
    assert found is not None
    assert (found.text, found.currency) == ("20.00", "EUR")


def test_first_amount_is_chosen_when_none_names_a_currency() -> None:
    found = find_amount("send mom 20 and dad 10", "en")
    assert found is not None
    assert found.text == "20.00"


def test_range_start_shares_the_currency_of_its_end() -> None:
    found = find_amounts("zwischen 20 und 50 Euro", "de")
    assert [(match.text, match.currency) for match in found] == [
        ("20.00", "EUR"),
        ("50.00", "EUR"),
    ]


def test_blocked_span_hides_a_bare_number() -> None:
    assert find_amount("send 20 please", "en", blocked=[(5, 7)]) is None


def test_blocked_span_keeps_an_amount_with_currency() -> None:
    found = find_amount("send 20 € please", "en", blocked=[(5, 7)])
    assert found is not None
    assert found.currency == "EUR"


def test_bare_number_word_is_dropped_when_bare_words_are_off() -> None:
    assert find_amount("send mom ten", "en", bare_words=False) is None


def test_number_word_after_a_comparison_stays_when_bare_words_are_off() -> None:
    found = find_amount("everything over fifty", "en", bare_words=False)
    assert found is not None
    assert found.text == "50.00"


def test_english_eleven_is_not_read_from_the_word_elf() -> None:
    assert find_amount("send the elf money", "en") is None


def test_choose_amount_of_nothing_is_none() -> None:
    assert choose_amount([]) is None


def test_amount_text_has_two_places() -> None:
    assert AmountMatch(Decimal("7.5"), None, 0, 3).text == "7.50"


# --- round trips through babel ----------------------------------------------------------

LOCALES = ["de_DE", "de_AT", "en_US", "en_GB"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
money = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2, allow_nan=False
)


def _language(locale: str) -> Language:
    return "de" if locale.startswith("de") else "en"


@given(
    money,
    st.sampled_from(LOCALES),
    st.sampled_from(CURRENCIES),
    st.sampled_from(["standard", "name"]),
    st.booleans(),
)
def test_babel_formatted_currency_parses_back(
    value: Decimal, locale: str, currency: str, format_type: str, grouping: bool
) -> None:
    written = format_currency(
        value, currency, locale=locale, format_type=format_type, group_separator=grouping
    )
    found = find_amount(written, _language(locale))
    assert found is not None, written
    assert (found.value, found.currency) == (value, currency), written


@given(money, st.sampled_from(LOCALES), st.sampled_from(CURRENCIES))
def test_babel_formatted_currency_in_a_sentence_parses_back(
    value: Decimal, locale: str, currency: str
) -> None:
    amount = format_currency(value, currency, locale=locale)
    sentence = (
        f"Schick Anna {amount} für die Pizza"
        if locale.startswith("de")
        else f"please send Tom {amount} for dinner"
    )
    found = find_amount(sentence, _language(locale))
    assert found is not None, sentence
    assert (found.value, found.currency) == (value, currency), sentence


@given(money, st.sampled_from(LOCALES), st.booleans())
def test_babel_formatted_decimal_parses_back_without_currency(
    value: Decimal, locale: str, grouping: bool
) -> None:
    written = format_decimal(value, locale=locale, group_separator=grouping)
    found = find_amount(f"send {written}", _language(locale))
    assert found is not None, written
    assert (found.value, found.currency) == (value, None), written
