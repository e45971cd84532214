"""The dialogue state: its JSON form and what expires."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bankchat.assistant.state import (
    CURSOR_TTL,
    PENDING_TTL,
    DialogueState,
    ask_confirmation,
    ask_slot,
    new_cursor,
    remember_question,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def full_state() -> DialogueState:
    state = remember_question(
        DialogueState(language="de"), "spending_summary", {"merchant": "REWE"}, NOW
    )
    state = ask_slot(state, "send_money", {"amount": "12.50"}, "recipient", NOW, attempts=1)
    return replace(state, cursor=new_cursor({"category": "groceries"}, 5, NOW))


def test_the_state_survives_its_json_form() -> None:
    state = full_state()
    assert DialogueState.from_json(state.as_json()) == state


def test_no_stored_state_is_the_empty_state() -> None:
    assert DialogueState.from_json({}) == DialogueState()


def test_nothing_expires_before_its_time() -> None:
    state = full_state()
    assert state.current(NOW + timedelta(minutes=1)) == state


def test_a_pending_question_expires() -> None:
    state, _ = ask_confirmation(DialogueState(), "unlink_account", {"connection": "c"}, NOW)
    assert state.current(NOW + PENDING_TTL).pending is None


def test_a_list_expires() -> None:
    state = replace(DialogueState(), cursor=new_cursor({}, 5, NOW))
    assert state.current(NOW + CURSOR_TTL).cursor is None


def test_an_expired_pending_question_leaves_the_rest() -> None:
    state = full_state()
    later = state.current(NOW + PENDING_TTL)
    assert later.pending is None
    assert later.cursor == state.cursor
    assert later.last == state.last


def test_each_pending_question_gets_its_own_id() -> None:
    first, one = ask_confirmation(DialogueState(), "unlink_account", {}, NOW)
    _, two = ask_confirmation(first, "unlink_account", {}, NOW)
    assert one.id != two.id
