"""Recipients of payments and requests: the name as written, German and English."""

from __future__ import annotations

import pytest

from bankchat.assistant.nlu.amounts import find_amount
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.recipients import find_recipient
from bankchat.language import Language


def _recipient(text: str, language: Language, intent: Intent = Intent.SEND_MONEY) -> str | None:
    amount = find_amount(text, language)
    found = find_recipient(
        text,
        intent,
        blocked=[amount.span] if amount is not None else [],
        amount_start=amount.start if amount is not None else None,
    )
    return None if found is None else found.name


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("Schick Max Müller 12,50 € für die Pizza", "de", "Max Müller"),
        ("send mom 20", "en", "mom"),
        ("überweise 50 Euro an anna", "de", "anna"),
        ("pay back Tom Becker 15 bucks", "en", "Tom Becker"),
        ("kannst du Papa 10€ schicken", "de", "Papa"),
        ("ich möchte Lisa 30 Euro überweisen", "de", "Lisa"),
        ("send 20 to Anna-Lena", "en", "Anna-Lena"),
        ("Überweise an Oma Erna 30 Euro", "de", "Oma Erna"),
        ("send tom becker 15", "en", "tom becker"),
        ("schick bitte anna 20", "de", "anna"),
        ("Please send Anna Schmidt 1.250,00 €", "en", "Anna Schmidt"),
        ("Kannst du 10 Euro an Papa schicken", "de", "Papa"),
        ("Geld an die Oma schicken", "de", "Oma"),
    ],
)
def test_recipient_of_a_payment_is_found_as_written(
    text: str, language: Language, name: str
) -> None:
    assert _recipient(text, language) == name


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("send my sister twenty bucks", "en", "sister"),
        ("überweise meiner Schwester 40 Euro", "de", "Schwester"),
        ("transfer 50 to my landlord", "en", "landlord"),
    ],
)
def test_possessive_before_the_name_is_left_out(text: str, language: Language, name: str) -> None:
    assert _recipient(text, language) == name


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("send Anna and Max 10 each", "en", "Anna"),
        ("send 20 to mom and 10 to dad", "en", "mom"),
        ("schick Anna, Max und Tom je 5 Euro", "de", "Anna"),
        ("send Anna money", "en", "Anna"),
        ("send $45.50 to Tom for dinner", "en", "Tom"),
        ("überweise 50 Euro an Max wegen Miete", "de", "Max"),
    ],
)
def test_name_stops_at_conjunctions_purposes_and_punctuation(
    text: str, language: Language, name: str
) -> None:
    assert _recipient(text, language) == name


@pytest.mark.parametrize(
    ("text", "language", "name"),
    [
        ("request 30 from Lisa for the tickets", "en", "Lisa"),
        ("Fordere 20 Euro von Max an", "de", "Max"),
        ("ask Lisa for 30", "en", "Lisa"),
        ("Tom owes me 20 dollars", "en", "Tom"),
        ("Kai schuldet mir 40 Euro", "de", "Kai"),
        ("remind jonas about the 15 euros", "en", "jonas"),
        ("Ich möchte Geld von Lisa anfordern", "de", "Lisa"),
        ("send a request to Paul for 12 bucks", "en", "Paul"),
    ],
)
def test_person_asked_for_money_is_found(text: str, language: Language, name: str) -> None:
    assert _recipient(text, language, Intent.REQUEST_MONEY) == name


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I want to send money", "en"),
        ("Geld überweisen", "de"),
        ("send 20 euros please", "en"),
        ("überweise bitte 50 Euro", "de"),
    ],
)
def test_no_name_gives_no_recipient(text: str, language: Language) -> None:
    assert _recipient(text, language) is None


def test_blocked_words_are_no_recipient() -> None:
    text = "transfer 100 to savings"
    assert find_recipient(text, blocked=[(9, 12), (16, 23)]) is None


def test_recipient_span_cuts_the_utterance_as_written() -> None:
    text = "Schick Max Müller 12,50 €"
    found = find_recipient(text, blocked=[(18, 25)], amount_start=18)
    assert found is not None
    assert text[found.start : found.end] == "Max Müller"
