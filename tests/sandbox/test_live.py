"""Live mode: the feed keeps making realistic transactions, announces them, books pending
ones later in place, injects labelled fraud, and runs as a background loop when asked."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bankchat.sandbox.activity import CODE_OWN_OUT
from bankchat.sandbox.app import _background_loops
from bankchat.sandbox.generator import generate_world
from bankchat.sandbox.live import TERMINAL_DISCOVERY_USES, LiveFeed, live_loop
from bankchat.sandbox.model import BookingStatus, Category, FraudPattern, Transaction
from bankchat.sandbox.options import SandboxOptions
from bankchat.sandbox.partner import BlockReason, block_card, partner_of
from bankchat.sandbox.world import World, WorldEvent

TODAY = date(2026, 11, 20)


def fixed_clock() -> datetime:
    return datetime(2026, 11, 20, 15, tzinfo=UTC)


@pytest.fixture
def generated_world() -> World:
    return generate_world(5, today=TODAY, customers_per_bank=2, months=3, clock=fixed_clock)


def run(feed: LiveFeed, steps: int) -> list[Transaction]:
    made = [feed.step() for _ in range(steps)]
    return [tx for tx in made if tx is not None]


def test_step_records_a_transaction_dated_today(generated_world: World) -> None:
    made = run(LiveFeed(generated_world, seed=1), 20)
    assert made
    for tx in made:
        assert generated_world.transaction_index[tx.id] is tx
        assert tx.value_date == TODAY
        assert tx in generated_world.transactions[tx.account_id]


def test_step_emits_transaction_created(generated_world: World) -> None:
    events: list[WorldEvent] = []
    generated_world.subscribe(events.append)
    made = run(LiveFeed(generated_world, seed=1), 20)
    created = {
        e.transaction.id for e in events if e.kind == "transaction.created" and e.transaction
    }
    assert {tx.id for tx in made} <= created


def test_feed_makes_card_payments_transfers_and_income(generated_world: World) -> None:
    made = run(LiveFeed(generated_world, seed=2), 300)
    assert any(tx.card_id is not None and tx.amount < 0 for tx in made)
    assert any(tx.card_id is None and tx.amount < 0 for tx in made)
    assert any(tx.amount > 0 for tx in made)


def test_pending_transactions_book_later_in_place(generated_world: World) -> None:
    seen: list[tuple[str, str, str, BookingStatus]] = []

    def remember(event: WorldEvent) -> None:
        # The event carries the live object: note what it looked like at that moment.
        if event.transaction is not None:
            tx = event.transaction
            seen.append((event.kind, tx.id, tx.entry_reference, tx.status))

    generated_world.subscribe(remember)
    run(LiveFeed(generated_world, seed=3), 200)
    started_pending = {
        tx_id: reference
        for kind, tx_id, reference, status in seen
        if kind == "transaction.created" and status is BookingStatus.PENDING
    }
    booked = [
        (tx_id, reference) for kind, tx_id, reference, _ in seen if kind == "transaction.booked"
    ]
    assert booked
    for tx_id, reference in booked:
        assert started_pending[tx_id] == reference
        tx = generated_world.transaction_index[tx_id]
        assert tx.status is BookingStatus.BOOKED
        assert tx.booking_date == TODAY


def test_feed_injects_all_three_fraud_patterns(generated_world: World) -> None:
    made = run(LiveFeed(generated_world, seed=4, fraud_rate=0.3), 400)
    patterns = Counter(tx.fraud for tx in made if tx.fraud is not None)
    assert set(patterns) == set(FraudPattern)


def test_default_feed_keeps_fraud_rare(generated_world: World) -> None:
    made = run(LiveFeed(generated_world, seed=4), 1000)
    card_payments = [tx for tx in made if tx.card_id is not None]
    frauds = [tx for tx in card_payments if tx.fraud is not None]
    assert len(frauds) < len(card_payments) * 0.1


def test_feed_keeps_ledgers_sound(generated_world: World) -> None:
    run(LiveFeed(generated_world, seed=5), 1500)
    for ledger in generated_world.ledgers.values():
        assert ledger.total() == 0
    for account in generated_world.accounts.values():
        available = generated_world.ledger_of(account.id).available(account.id)
        assert available is not None
        assert available >= 0


def test_feed_is_deterministic_for_a_seed() -> None:
    def amounts(seed: int) -> list[tuple[str, str]]:
        world = generate_world(5, today=TODAY, customers_per_bank=2, months=3, clock=fixed_clock)
        return [(tx.id, str(tx.amount)) for tx in run(LiveFeed(world, seed=seed), 50)]

    assert amounts(9) == amounts(9)
    assert amounts(9) != amounts(10)


def test_restarted_feed_does_not_reuse_ids(generated_world: World) -> None:
    first = run(LiveFeed(generated_world, seed=6), 30)
    second = run(LiveFeed(generated_world, seed=6), 30)
    assert {tx.id for tx in first}.isdisjoint(tx.id for tx in second)


def _new_transactions(world: World, before: set[str]) -> list[Transaction]:
    return [tx for tx_id, tx in world.transaction_index.items() if tx_id not in before]


def test_card_payments_with_blocked_cards_are_declined(generated_world: World) -> None:
    for card in generated_world.cards.values():
        block_card(generated_world, card, BlockReason.LOST)
    before = set(generated_world.transaction_index)
    made = run(LiveFeed(generated_world, seed=7), 100)
    assert made
    assert all(tx.card_id is None for tx in _new_transactions(generated_world, before))


def test_card_payments_with_expired_cards_are_declined(generated_world: World) -> None:
    for card in generated_world.cards.values():
        card.expiry = TODAY - timedelta(days=1)
    before = set(generated_world.transaction_index)
    run(LiveFeed(generated_world, seed=7), 100)
    assert all(tx.card_id is None for tx in _new_transactions(generated_world, before))


def test_cards_still_usable_keep_paying_when_others_are_blocked(generated_world: World) -> None:
    blocked = sorted(generated_world.cards)[::2]
    for card_id in blocked:
        block_card(generated_world, generated_world.cards[card_id], BlockReason.STOLEN)
    made = run(LiveFeed(generated_world, seed=7), 300)
    paid_with = {tx.card_id for tx in made if tx.card_id is not None}
    assert paid_with
    assert paid_with.isdisjoint(blocked)


def _skimming(world: World) -> tuple[set[str], list[Transaction]]:
    """Terminals the bank knew before, and what a fraud-heavy feed then made."""
    known_before = set(partner_of(world).compromised_terminals)
    return known_before, run(LiveFeed(world, seed=1, fraud_rate=0.3), 400)


def test_bank_learns_of_a_skimmed_terminal_after_a_few_fraudulent_uses(
    generated_world: World,
) -> None:
    known_before, made = _skimming(generated_world)
    uses = Counter(tx.terminal_id for tx in made if tx.fraud is FraudPattern.COMPROMISED_TERMINAL)
    learnt = partner_of(generated_world).compromised_terminals - known_before
    assert learnt
    assert learnt == {t for t, n in uses.items() if n >= TERMINAL_DISCOVERY_USES} - known_before


def test_first_fraudulent_uses_of_a_skimmed_terminal_are_not_flagged(
    generated_world: World,
) -> None:
    flagged: set[str] = set()

    def note_flagged(event: WorldEvent) -> None:
        reason = event.detail.get("reason")
        if event.kind == "transaction.suspicious" and reason == "compromised_terminal":
            assert event.transaction is not None
            flagged.add(event.transaction.id)

    partner_of(generated_world)  # the bank's rules run from here on
    generated_world.subscribe(note_flagged)
    known_before, made = _skimming(generated_world)
    seen: Counter[str | None] = Counter()
    for tx in made:
        if tx.fraud is not FraudPattern.COMPROMISED_TERMINAL or tx.terminal_id in known_before:
            continue
        seen[tx.terminal_id] += 1
        assert (tx.id in flagged) == (seen[tx.terminal_id] > TERMINAL_DISCOVERY_USES)
    assert any(uses > TERMINAL_DISCOVERY_USES for uses in seen.values())


def _debit(world: World, account_id: str, amount: str, status: BookingStatus) -> None:
    account = world.accounts[account_id]
    world.record(
        Transaction(
            id=f"{account_id}-{amount}",
            account_id=account_id,
            entry_reference=f"ref-{account_id}-{amount}",
            amount=-Decimal(amount),
            currency=account.currency,
            status=status,
            value_date=world.today(),
            booking_date=world.today() if status is BookingStatus.BOOKED else None,
            category=Category.SHOPPING,
        ),
        notify=False,
    )


def test_card_settlement_leaves_funds_held_for_pending_debits(world: World) -> None:
    checking, card_account = "nordbank-c1-chk", "nordbank-c1-card"
    # The card owes more than checking can spare once its pending debits are paid.
    _debit(world, card_account, "1900.00", BookingStatus.BOOKED)
    _debit(world, checking, "1000.00", BookingStatus.BOOKED)
    _debit(world, checking, "450.00", BookingStatus.PENDING)
    feed = LiveFeed(world, seed=1)
    feed.profiles = [p for p in feed.profiles if p.checking.id == checking]
    ledger = world.ledger_of(checking)
    settlements = 0
    for _ in range(300):
        tx = feed.step()
        if tx is not None and tx.bank_transaction_code == CODE_OWN_OUT:
            settlements += 1
            assert ledger.balance(checking) - ledger.held(checking) >= 0
    assert settlements


def test_feed_works_on_the_hand_built_world(world: World) -> None:
    made = run(LiveFeed(world, seed=1), 100)
    assert made
    assert all(tx.account_id in world.accounts for tx in made)


async def test_live_loop_announces_transactions_while_running(generated_world: World) -> None:
    created = asyncio.Event()

    def on_event(event: WorldEvent) -> None:
        if event.kind == "transaction.created":
            created.set()

    generated_world.subscribe(on_event)
    task = asyncio.create_task(live_loop(generated_world, 500.0, seed=1))
    try:
        await asyncio.wait_for(created.wait(), timeout=10)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert created.is_set()


@pytest.mark.parametrize(("rate", "expected"), [(0.0, False), (2.0, True)])
def test_app_runs_live_loop_only_with_positive_rate(
    generated_world: World, rate: float, expected: bool
) -> None:
    loops = _background_loops(generated_world, SandboxOptions(partner_secret="s", live_rate=rate))
    try:
        assert any(getattr(loop, "__qualname__", "") == "live_loop" for loop in loops) is expected
    finally:
        for loop in loops:
            loop.close()
