"""Merchants, categories, account types and banks found by the lexicon, German and English."""

from __future__ import annotations

import pytest

from bankchat.assistant.nlu.lexicon import (
    LexiconKind,
    find_lexicon_matches,
    find_unknown_merchant,
    first_of,
)
from bankchat.assistant.nlu.text import tokenize
from bankchat.language import Language

REGISTRY = ("Lindenbank", "Kranich Bank", "Prairie Lantern Bank", "Bluefin Harbor Bank")


def _first(text: str, language: Language, kind: LexiconKind) -> str | None:
    matches = find_lexicon_matches(text, tokenize(text), language, REGISTRY)
    found = first_of(matches, kind)
    return None if found is None else found.value


@pytest.mark.parametrize(
    ("text", "language", "merchant"),
    [
        ("was hab ich bei REWE ausgegeben", "de", "REWE"),
        ("ausgaben bei rewe", "de", "rewe"),
        ("how much at mcdonalds", "en", "mcdonalds"),
        ("how much at McDonald’s", "en", "McDonald’s"),
        ("Einkäufe bei Aldi Süd", "de", "Aldi Süd"),
        ("H & M Rechnung", "de", "H & M"),
        ("alles von Media Markt", "de", "Media Markt"),
        ("MediaMarkt", "de", "MediaMarkt"),
        ("trader joes last week", "en", "trader joes"),
        ("Disney+ Abo", "de", "Disney+"),
        ("booking.com charges", "en", "booking.com"),
        ("Amazon's charges", "en", "Amazon"),
        ("Tickets bei der Deutschen Bahn", "de", "Deutschen Bahn"),
        ("Deutsche Bahn Tickets", "de", "Deutsche Bahn"),
        ("spent at Target", "en", "Target"),
        ("my savings target", "en", None),
        ("Umsätze uber 50 Euro", "de", None),
        ("uber last month", "en", "uber"),
        ("Otto Becker", "de", None),
    ],
)
def test_merchants_are_found_as_written(
    text: str, language: Language, merchant: str | None
) -> None:
    assert _first(text, language, LexiconKind.MERCHANT) == merchant


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        ("Lebensmittel", "de", "groceries"),
        ("Lebensmitteleinkäufe", "de", "groceries"),
        ("lebensmitteleinkaeufe", "de", "groceries"),
        ("Einkaufe", "de", "groceries"),
        ("Wocheneinkauf", "de", "groceries"),
        ("food shopping", "en", "groceries"),
        ("essen gehen", "de", "restaurants"),
        ("eating out", "en", "restaurants"),
        ("takeaway", "en", "restaurants"),
        ("Lieferdienste", "de", "restaurants"),
        ("Tanken", "de", "transport"),
        ("Tankfüllung", "de", "transport"),
        ("Sprit", "de", "transport"),
        ("ÖPNV", "de", "transport"),
        ("OEPNV", "de", "transport"),
        ("Uber rides", "en", "transport"),
        ("gas", "en", "transport"),
        ("gas bill", "en", "utilities"),
        ("Gas", "de", "utilities"),
        ("Stromrechnung", "de", "utilities"),
        ("Handy", "de", "utilities"),
        ("Nebenkosten", "de", "utilities"),
        ("Streaming", "de", "entertainment"),
        ("Kinokarten", "de", "entertainment"),
        ("Urlaub", "de", "travel"),
        ("Flüge", "de", "travel"),
        ("Fluege", "de", "travel"),
        ("Mietwagen", "de", "travel"),
        ("Miete", "de", "rent"),
        ("rent", "en", "rent"),
        ("Apotheke", "de", "health"),
        ("Arztbesuche", "de", "health"),
        ("Bargeld", "de", "cash"),
        ("ATM withdrawals", "en", "cash"),
        ("Gehalt", "de", "income"),
        ("salary", "en", "income"),
        ("Klamotten", "de", "shopping"),
        ("Sonstiges", "de", "other"),
    ],
)
def test_category_synonyms_give_the_category(text: str, language: Language, category: str) -> None:
    assert _first(text, language, LexiconKind.CATEGORY) == category


@pytest.mark.parametrize(
    ("text", "language"),
    [("that's handy", "en"), ("the other account", "en"), ("Gasthaus", "de"), ("Konto", "de")],
)
def test_ordinary_words_are_no_category(text: str, language: Language) -> None:
    assert _first(text, language, LexiconKind.CATEGORY) is None


@pytest.mark.parametrize(
    ("text", "language", "account_type"),
    [
        ("Girokonto", "de", "checking"),
        ("Gehaltskonto", "de", "checking"),
        ("checking account", "en", "checking"),
        ("current account", "en", "checking"),
        ("Tagesgeld", "de", "savings"),
        ("Tagesgeldkonto", "de", "savings"),
        ("Sparkonto", "de", "savings"),
        ("Festgeld", "de", "savings"),
        ("savings", "en", "savings"),
        ("Kreditkarte", "de", "credit_card"),
        ("Visa", "en", "credit_card"),
        ("Mastercard", "de", "credit_card"),
        ("credit card", "en", "credit_card"),
    ],
)
def test_account_type_words_give_the_type(text: str, language: Language, account_type: str) -> None:
    assert _first(text, language, LexiconKind.ACCOUNT_TYPE) == account_type


@pytest.mark.parametrize(
    ("text", "language"),
    [("mein Konto", "de"), ("meine Karte", "de"), ("EC-Karte", "de"), ("debit card", "en")],
)
def test_plain_account_and_card_words_are_no_account_type(text: str, language: Language) -> None:
    assert _first(text, language, LexiconKind.ACCOUNT_TYPE) is None


@pytest.mark.parametrize(
    ("text", "language", "bank"),
    [
        ("bei der Kranich Bank", "de", "Kranich Bank"),
        ("bei der kranich", "de", "kranich"),
        ("Kranich-Bank", "de", "Kranich-Bank"),
        ("Lindenbank", "de", "Lindenbank"),
        ("at prairie lantern", "en", "prairie lantern"),
        ("my Bluefin Harbor Bank account", "en", "Bluefin Harbor Bank"),
        ("my bluefin account", "en", "bluefin"),
        ("balance at Prairie Bank", "en", "Prairie Bank"),
        ("Sparkasse", "de", "Sparkasse"),
        ("Stadtsparkasse München", "de", "Stadtsparkasse"),
        ("bei der Deutschen Bank", "de", "Deutschen Bank"),
        ("comdirect", "de", "comdirect"),
        ("ING", "de", "ING"),
        ("N26", "de", "N26"),
        ("Bank of America", "en", "Bank of America"),
        ("wells fargo", "en", "wells fargo"),
    ],
)
def test_banks_are_found_as_written(text: str, language: Language, bank: str) -> None:
    assert _first(text, language, LexiconKind.BANK) == bank


def test_registry_bank_is_unknown_without_the_registry() -> None:
    text = "bei der Kranich Bank"
    matches = find_lexicon_matches(text, tokenize(text), "de")
    assert first_of(matches, LexiconKind.BANK) is None


def test_longer_phrase_wins_over_the_word_inside_it() -> None:
    text = "Deutsche Bahn"
    kinds = [match.kind for match in find_lexicon_matches(text, tokenize(text), "de")]
    assert kinds == [LexiconKind.MERCHANT]


def test_match_span_cuts_the_utterance_as_written() -> None:
    text = "Was hab ich bei REWE ausgegeben"
    match = find_lexicon_matches(text, tokenize(text), "de")[0]
    assert text[match.start : match.end] == "REWE"


@pytest.mark.parametrize(
    ("text", "merchant"),
    [
        ("Umsätze bei Bäckerei Schmidt letzte Woche", "Bäckerei Schmidt"),
        ("transactions at Joe's Diner", "Joe's Diner"),
        ("Zahlungen an Vodafone", "Vodafone"),
        ("Abbuchungen von der Telekom", "Telekom"),
    ],
)
def test_capitalised_name_after_a_preposition_is_a_merchant(text: str, merchant: str) -> None:
    found = find_unknown_merchant(text, tokenize(text), [])
    assert found is not None
    assert found.value == merchant


@pytest.mark.parametrize(
    "text",
    ["Umsätze bei meinem Konto", "transactions from my account", "bei der Bank", "at home"],
)
def test_ordinary_words_after_a_preposition_are_no_merchant(text: str) -> None:
    assert find_unknown_merchant(text, tokenize(text), []) is None


def test_blocked_words_after_a_preposition_are_no_merchant() -> None:
    text = "Umsätze bei Januar"
    assert find_unknown_merchant(text, tokenize(text), [(12, 18)]) is None
