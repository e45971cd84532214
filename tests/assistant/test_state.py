"""The dialogue state: its JSON form (also as older code wrote it) and what expires."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bankchat.assistant.hints import Hints
from bankchat.assistant.nlu.intents import Category
from bankchat.assistant.nlu.result import Entities, Period
from bankchat.assistant.state import (
    CURSOR_TTL,
    PENDING_TTL,
    Cursor,
    DialogueState,
    LastQuestion,
    Pending,
    ask_confirmation,
    ask_slot,
    new_cursor,
    remember_question,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONNECTION = {"id": "c", "name": "Nordbank", "bank": "nordbank"}


def full_state() -> DialogueState:
    state = remember_question(
        DialogueState(language="de"),
        "spending_summary",
        Entities(merchant="REWE", amount=Decimal("50.00")),
        Hints("gt", "out"),
        NOW,
    )
    state = ask_slot(
        state, "send_money", Entities(amount=Decimal("12.50")), "recipient", NOW, attempts=1
    )
    return replace(state, cursor=new_cursor(Entities(category=Category.GROCERIES), Hints(), 5, NOW))


def test_the_state_survives_its_json_form() -> None:
    state = full_state()
    assert DialogueState.from_json(state.as_json()) == state


def test_a_confirmation_survives_its_json_form() -> None:
    state, _ = ask_confirmation(DialogueState(), "unlink_account", CONNECTION, NOW)
    assert DialogueState.from_json(state.as_json()) == state


def test_entities_are_kept_in_the_contracts_form_with_the_hints_beside_them() -> None:
    kept = full_state().as_json()
    assert kept["last"]["entities"] == {
        "amount": "50.00",
        "merchant": "REWE",
        "comparator": "gt",
        "direction": "out",
    }
    assert kept["pending"]["entities"] == {"amount": "12.50"}
    assert kept["cursor"]["entities"] == {"category": "groceries"}


def test_state_written_by_older_code_is_read() -> None:
    expires = (NOW + timedelta(minutes=5)).isoformat()
    period = {"from": "2026-10-01", "to": "2026-10-31"}
    stored = {
        "language": "en",
        "last": {
            "intent": "list_transactions",
            "entities": {"amount": "40.00", "currency": "EUR", "comparator": "gt"},
            "expiresAt": expires,
        },
        "pending": {
            "id": "p",
            "kind": "confirm",
            "intent": "unlink_account",
            "entities": {"connection": "c", "name": "Nordbank"},
            "expiresAt": expires,
            "slot": None,
            "options": [],
            "attempts": 0,
        },
        "cursor": {
            "id": "k",
            "entities": {"period": period, "direction": "in"},
            "offset": 5,
            "expiresAt": expires,
        },
    }
    state = DialogueState.from_json(stored)
    assert state.last == LastQuestion(
        "list_transactions",
        Entities(amount=Decimal("40.00"), currency="EUR"),
        Hints("gt"),
        NOW + timedelta(minutes=5),
    )
    assert state.pending == Pending(
        "p",
        "confirm",
        "unlink_account",
        Entities(),
        NOW + timedelta(minutes=5),
        chosen={"id": "c", "name": "Nordbank"},
    )
    assert state.cursor == Cursor(
        "k",
        Entities(period=Period(date(2026, 10, 1), date(2026, 10, 31))),
        Hints(direction="in"),
        5,
        NOW + timedelta(minutes=5),
    )


def test_a_money_question_written_by_older_code_is_read() -> None:
    pending = {
        "id": "p",
        "kind": "slot",
        "intent": "send_money",
        "entities": {"amount": "12.50", "currency": "EUR"},
        "expiresAt": NOW.isoformat(),
        "slot": "recipient",
        "options": [],
        "attempts": 1,
    }
    read = Pending.from_json(pending)
    assert read.entities == Entities(amount=Decimal("12.50"), currency="EUR")
    assert (read.slot, read.attempts, read.chosen) == ("recipient", 1, None)


def test_no_stored_state_is_the_empty_state() -> None:
    assert DialogueState.from_json({}) == DialogueState()


def test_nothing_expires_before_its_time() -> None:
    state = full_state()
    assert state.current(NOW + timedelta(minutes=1)) == state


def test_a_pending_question_expires() -> None:
    state, _ = ask_confirmation(DialogueState(), "unlink_account", CONNECTION, NOW)
    assert state.current(NOW + PENDING_TTL).pending is None


def test_a_list_expires() -> None:
    state = replace(DialogueState(), cursor=new_cursor(Entities(), Hints(), 5, NOW))
    assert state.current(NOW + CURSOR_TTL).cursor is None


def test_an_expired_pending_question_leaves_the_rest() -> None:
    state = full_state()
    later = state.current(NOW + PENDING_TTL)
    assert later.pending is None
    assert later.cursor == state.cursor
    assert later.last == state.last


def test_each_pending_question_gets_its_own_id() -> None:
    first, one = ask_confirmation(DialogueState(), "unlink_account", CONNECTION, NOW)
    _, two = ask_confirmation(first, "unlink_account", CONNECTION, NOW)
    assert one.id != two.id
