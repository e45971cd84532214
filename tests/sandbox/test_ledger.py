"""The double-entry ledger: entries balance, floors hold, holds count against available."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.ledger import (
    InsufficientFunds,
    Ledger,
    LedgerError,
    Posting,
    UnbalancedEntry,
)

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
OUTSIDE = "internal:external"


def make_ledger() -> Ledger:
    """An outside account without floor, ``alice`` (overdraft 100) and ``bob`` (none)."""
    ledger = Ledger("bank", "EUR")
    ledger.open(OUTSIDE, floor=None)
    ledger.open("alice", floor=Decimal("-100"))
    ledger.open("bob", floor=Decimal("0"))
    return ledger


def move(ledger: Ledger, source: str, target: str, amount: str, ref: str = "ref") -> None:
    value = Decimal(amount)
    ledger.post(ref, [Posting(source, -value), Posting(target, value)], AT)


def test_unbalanced_entry_is_refused_and_changes_nothing() -> None:
    ledger = make_ledger()
    with pytest.raises(UnbalancedEntry):
        ledger.post("x", [Posting("alice", Decimal("10")), Posting(OUTSIDE, Decimal("-9"))], AT)
    assert ledger.balance("alice") == 0
    assert ledger.journal == []


def test_posting_to_unknown_account_is_refused() -> None:
    ledger = make_ledger()
    with pytest.raises(LedgerError):
        move(ledger, OUTSIDE, "carol", "5")
    assert ledger.balance(OUTSIDE) == 0


def test_opening_an_account_twice_is_refused() -> None:
    ledger = make_ledger()
    with pytest.raises(LedgerError):
        ledger.open("alice", floor=None)


def test_debit_down_to_the_floor_is_allowed() -> None:
    ledger = make_ledger()
    move(ledger, "alice", OUTSIDE, "100")
    assert ledger.balance("alice") == Decimal("-100")
    assert ledger.available("alice") == 0


def test_debit_below_the_floor_is_refused_and_changes_nothing() -> None:
    ledger = make_ledger()
    with pytest.raises(InsufficientFunds) as refused:
        move(ledger, "alice", "bob", "100.01")
    assert refused.value.available == Decimal("100")
    assert ledger.balance("alice") == 0
    assert ledger.balance("bob") == 0
    assert ledger.journal == []


def test_account_without_floor_may_go_negative() -> None:
    ledger = make_ledger()
    move(ledger, OUTSIDE, "bob", "1000000")
    assert ledger.balance(OUTSIDE) == Decimal("-1000000")
    assert ledger.available(OUTSIDE) is None


def test_hold_reduces_available_but_not_balance() -> None:
    ledger = make_ledger()
    move(ledger, OUTSIDE, "bob", "50")
    ledger.hold("bob", "card-1", Decimal("20"))
    assert ledger.balance("bob") == Decimal("50")
    assert ledger.held("bob") == Decimal("20")
    assert ledger.available("bob") == Decimal("30")


def test_debit_that_would_eat_held_funds_is_refused() -> None:
    ledger = make_ledger()
    move(ledger, OUTSIDE, "bob", "50")
    ledger.hold("bob", "card-1", Decimal("20"))
    with pytest.raises(InsufficientFunds):
        move(ledger, "bob", OUTSIDE, "31")


def test_hold_beyond_available_is_refused() -> None:
    ledger = make_ledger()
    ledger.hold("alice", "card-1", Decimal("60"))
    with pytest.raises(InsufficientFunds):
        ledger.hold("alice", "card-2", Decimal("41"))
    assert ledger.held("alice") == Decimal("60")


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_hold_must_be_positive(amount: str) -> None:
    ledger = make_ledger()
    with pytest.raises(LedgerError):
        ledger.hold("alice", "card-1", Decimal(amount))


def test_release_gives_held_funds_back() -> None:
    ledger = make_ledger()
    ledger.hold("alice", "card-1", Decimal("60"))
    ledger.release("alice", "card-1")
    assert ledger.available("alice") == Decimal("100")


def test_booking_a_hold_may_use_its_own_held_funds() -> None:
    ledger = make_ledger()
    ledger.hold("alice", "card-1", Decimal("100"))
    ledger.post(
        "card-1",
        [Posting("alice", Decimal("-100")), Posting(OUTSIDE, Decimal("100"))],
        AT,
        releasing_hold="card-1",
    )
    assert ledger.balance("alice") == Decimal("-100")
    assert ledger.held("alice") == 0


def test_booking_a_hold_cannot_use_other_holds() -> None:
    ledger = make_ledger()
    ledger.hold("alice", "card-1", Decimal("50"))
    ledger.hold("alice", "card-2", Decimal("50"))
    with pytest.raises(InsufficientFunds):
        ledger.post(
            "card-1",
            [Posting("alice", Decimal("-51")), Posting(OUTSIDE, Decimal("51"))],
            AT,
            releasing_hold="card-1",
        )
    assert ledger.held("alice") == Decimal("100")


def test_journal_numbers_applied_entries_in_order() -> None:
    ledger = make_ledger()
    move(ledger, OUTSIDE, "bob", "5", ref="first")
    move(ledger, "bob", "alice", "2", ref="second")
    assert [(e.seq, e.reference) for e in ledger.journal] == [(1, "first"), (2, "second")]


accounts = st.sampled_from([OUTSIDE, "alice", "bob"])
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
operations = st.lists(
    st.tuples(st.sampled_from(["move", "hold", "release"]), accounts, accounts, amounts),
    max_size=60,
)


@given(operations)
def test_any_sequence_keeps_total_zero_and_floors(
    ops: list[tuple[str, str, str, Decimal]],
) -> None:
    ledger = make_ledger()
    for n, (kind, source, target, amount) in enumerate(ops):
        try:
            if kind == "move":
                move(ledger, source, target, str(amount), ref=f"r{n}")
            elif kind == "hold":
                ledger.hold(source, f"h{n % 5}", amount)
            else:
                ledger.release(source, f"h{n % 5}")
        except InsufficientFunds:
            pass
        assert ledger.total() == 0
        for account in ("alice", "bob"):
            available = ledger.available(account)
            assert available is not None
            assert available >= 0
