"""The access log's sentences for entries the privacy center shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bankchat.privacy.access_log import DENIAL_WORDS, Language, describe
from bankchat.vault.denials import DenialReason
from bankchat.vault.purposes import Purpose
from bankchat.vault.records import AuditEntryView


def entry(what: dict[str, object]) -> AuditEntryView:
    return AuditEntryView(
        seq=1,
        person_id="p",
        at=datetime(2026, 11, 23, tzinfo=UTC),
        actor="assistant",
        action="read",
        purpose=Purpose.USER_REQUEST,
        what=what,
        entry_hash="0" * 64,
    )


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        (
            "en",
            "The assistant asked for your account details and balances to answer your "
            "request; nothing was shared, so nothing was read.",
        ),
        (
            "de",
            "Der Assistent wollte deine Kontodaten und Kontostände lesen, um deine Anfrage "
            "zu beantworten; es war nichts freigegeben, also wurde nichts gelesen.",
        ),
    ],
)
def test_a_read_when_nothing_was_shared_says_so_instead_of_naming_no_bank(
    language: str, sentence: str
) -> None:
    what = {"resource": "accounts_with_balances", "accounts": [], "banks": [], "count": 0}
    assert describe(entry(what), "de" if language == "de" else "en", str) == sentence


def test_every_denial_reason_has_german_and_english_words() -> None:
    assert set(DENIAL_WORDS) == set(DenialReason)
    for reason, words in DENIAL_WORDS.items():
        assert set(words) == {"de", "en"}, reason
        assert all(words.values()), reason


def denied(reason: object) -> AuditEntryView:
    return replace(
        entry({"resource": "balances", "accounts": ["a"], "reason": reason}),
        action="read_denied",
    )


@pytest.mark.parametrize("reason", list(DenialReason))
def test_a_refusal_recorded_as_text_is_told_in_the_words_of_its_reason(
    reason: DenialReason,
) -> None:
    # Entries hold the reason's text, as they did before the enum existed.
    stored = denied(str(reason.value))
    assert DenialReason(stored.what["reason"]) is reason
    languages: tuple[Language, ...] = ("de", "en")
    for language in languages:
        assert f"({DENIAL_WORDS[reason][language]})." in describe(stored, language, str)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("a reason from a later version", "(a reason from a later version)."),
        (None, "(None)."),
    ],
)
def test_a_reason_without_words_is_shown_as_recorded(reason: object, words: str) -> None:
    assert describe(denied(reason), "en", str).endswith(words)


def test_a_connection_ended_by_the_bank_says_so() -> None:
    ended = replace(
        entry({"accounts": ["a", "b"], "banks": ["bank-a"], "reason": "bank"}),
        actor="system",
        action="revoke",
        purpose=None,
    )
    assert describe(ended, "en", str) == (
        "Access to 2 account(s) ended (your bank ended it); their data was deleted."
    )
    assert describe(ended, "de", str) == (
        "Der Zugriff auf 2 Konto/Konten wurde beendet (deine Bank hat sie beendet); "
        "die Daten wurden gelöscht."
    )
