"""Which messages re-run the last data question with new entities ("und bei Amazon?")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from bankchat.assistant.dialogue import follow_up_of, merge_follow_up
from bankchat.assistant.handlers.base import Turn
from bankchat.assistant.hints import NO_HINTS, Hints
from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.assistant.nlu.result import Entities, Period
from bankchat.assistant.state import DialogueState, remember_question
from bankchat.platform import Platform
from bankchat.uow import Tx

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 23))
LAST = Entities(period=NOVEMBER, merchant="REWE")


def turn(
    text: str, intent: Intent, *, after: bool = True, hints: Hints = NO_HINTS, **entities: Any
) -> Turn:
    state = DialogueState()
    if after:
        state = remember_question(state, "spending_summary", LAST, hints, NOW)
    return Turn(
        cast(Platform, None),
        cast(Tx, None),
        "p",
        "en",
        NOW,
        text,
        intent,
        Entities(**entities),
        state,
    )


def test_a_message_the_model_is_unsure_about_reruns_the_last_question() -> None:
    found = follow_up_of(turn("und bei Amazon?", Intent.SPENDING_SUMMARY, merchant="Amazon"), 0.3)
    assert found == (
        Intent.SPENDING_SUMMARY,
        Entities(period=NOVEMBER, merchant="Amazon"),
        Hints(),
    )


def test_and_last_month_changes_only_the_period() -> None:
    found = follow_up_of(turn("and last month?", Intent.SPENDING_SUMMARY, period=OCTOBER), 0.84)
    assert found == (Intent.SPENDING_SUMMARY, Entities(period=OCTOBER, merchant="REWE"), Hints())


def test_just_entities_guessed_as_small_talk_follow_up() -> None:
    found = follow_up_of(turn("im Oktober?", Intent.THANKS, period=OCTOBER), 0.7)
    assert found is not None


def test_a_direction_alone_is_a_follow_up_and_keeps_the_comparator() -> None:
    asked = turn("and incoming?", Intent.OUT_OF_SCOPE, hints=Hints("gt", "out"))
    assert follow_up_of(asked, 0.3) == (Intent.SPENDING_SUMMARY, LAST, Hints("gt", "in"))


def test_a_confident_other_question_is_no_follow_up() -> None:
    asked = turn("Kontostand Sparkonto", Intent.CHECK_BALANCE, account_type=AccountType.SAVINGS)
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
    merged = merge_follow_up(
        (Entities(merchant="REWE", period=OCTOBER), Hints()),
        (Entities(category=Category.GROCERIES), Hints()),
    )
    assert merged == (Entities(category=Category.GROCERIES, period=OCTOBER), Hints())


def test_a_new_bank_replaces_the_account_type() -> None:
    merged = merge_follow_up(
        (Entities(account_type=AccountType.SAVINGS), Hints()),
        (Entities(bank="Südbank"), Hints()),
    )
    assert merged == (Entities(bank="Südbank"), Hints())


def test_a_new_amount_brings_its_own_comparator() -> None:
    previous = (Entities(amount=Decimal("50.00"), currency="EUR"), Hints("gt", "out"))
    assert merge_follow_up(previous, (Entities(amount=Decimal("20.00")), Hints())) == (
        Entities(amount=Decimal("20.00")),
        Hints(None, "out"),
    )
    assert merge_follow_up(previous, (Entities(merchant="REWE"), Hints())) == (
        Entities(amount=Decimal("50.00"), currency="EUR", merchant="REWE"),
        Hints("gt", "out"),
    )
