"""Which messages re-run the last data question with new entities ("und bei Amazon?")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from bankchat.assistant.dialogue import follow_up_of, merge_follow_up
from bankchat.assistant.handlers.base import Turn
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.state import DialogueState, remember_question
from bankchat.platform import Platform

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-23"}


def turn(text: str, intent: Intent, *, after: bool = True, **entities: Any) -> Turn:
    state = DialogueState()
    if after:
        state = remember_question(
            state, "spending_summary", {"period": NOVEMBER, "merchant": "REWE"}, NOW
        )
    return Turn(cast(Platform, None), "p", "en", NOW, text, intent, entities, state)


def test_a_message_the_model_is_unsure_about_reruns_the_last_question() -> None:
    found = follow_up_of(turn("und bei Amazon?", Intent.SPENDING_SUMMARY, merchant="Amazon"), 0.3)
    assert found == (Intent.SPENDING_SUMMARY, {"period": NOVEMBER, "merchant": "Amazon"})


def test_and_last_month_changes_only_the_period() -> None:
    found = follow_up_of(turn("and last month?", Intent.SPENDING_SUMMARY, period=OCTOBER), 0.84)
    assert found == (Intent.SPENDING_SUMMARY, {"period": OCTOBER, "merchant": "REWE"})


def test_just_entities_guessed_as_small_talk_follow_up() -> None:
    found = follow_up_of(turn("im Oktober?", Intent.THANKS, period=OCTOBER), 0.7)
    assert found is not None


def test_a_confident_other_question_is_no_follow_up() -> None:
    asked = turn("Kontostand Sparkonto", Intent.CHECK_BALANCE, account_type="savings")
    assert follow_up_of(asked, 0.98) is None


def test_a_full_new_question_of_the_same_kind_is_no_follow_up() -> None:
    asked = turn("what did I spend at Amazon in total", Intent.SPENDING_SUMMARY, merchant="Amazon")
    assert follow_up_of(asked, 0.95) is None


def test_without_a_last_question_nothing_is_followed_up() -> None:
    asked = turn("und bei Amazon?", Intent.OUT_OF_SCOPE, after=False, merchant="Amazon")
    assert follow_up_of(asked, 0.2) is None


def test_a_message_without_entities_is_no_follow_up() -> None:
    assert follow_up_of(turn("und?", Intent.OUT_OF_SCOPE), 0.2) is None


def test_a_new_category_replaces_the_merchant() -> None:
    merged = merge_follow_up({"merchant": "REWE", "period": OCTOBER}, {"category": "groceries"})
    assert merged == {"category": "groceries", "period": OCTOBER}


def test_a_new_bank_replaces_the_account_type() -> None:
    assert merge_follow_up({"account_type": "savings"}, {"bank": "Südbank"}) == {"bank": "Südbank"}
