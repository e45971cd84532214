"""The access log's sentences for entries the privacy center shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bankchat.privacy.access_log import describe
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
