"""A bank's double-entry ledger: money is never created or lost.

Every journal entry is a set of postings that sum to zero. Customer accounts have a floor
(minus their credit limit) that no posting may cross, counting the funds held for
pending debits. Internal accounts (the world outside the sandbox, inter-bank clearing)
have no floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0")


class LedgerError(Exception):
    """A posting the ledger refuses."""


class UnbalancedEntry(LedgerError):
    """The postings of an entry do not sum to zero."""


class InsufficientFunds(LedgerError):
    """A posting or hold would take an account below its floor."""

    def __init__(self, account_id: str, available: Decimal, wanted: Decimal) -> None:
        super().__init__(f"account {account_id}: available {available}, wanted {wanted}")
        self.account_id = account_id
        self.available = available
        self.wanted = wanted


@dataclass(slots=True, frozen=True)
class Posting:
    """One line of a journal entry: ``amount`` added to ``account_id`` (negative = debit)."""

    account_id: str
    amount: Decimal


@dataclass(slots=True, frozen=True)
class JournalEntry:
    """Postings that were applied together."""

    seq: int
    reference: str
    at: datetime
    postings: tuple[Posting, ...]


class Ledger:
    """The ledger of one bank in one currency."""

    def __init__(self, bank_id: str, currency: str) -> None:
        self.bank_id = bank_id
        self.currency = currency
        self._balances: dict[str, Decimal] = {}
        self._floors: dict[str, Decimal | None] = {}
        self._holds: dict[str, dict[str, Decimal]] = {}
        self.journal: list[JournalEntry] = []

    def open(self, account_id: str, *, floor: Decimal | None) -> None:
        """Open a ledger account; ``floor`` None means it may go arbitrarily negative."""
        if account_id in self._balances:
            raise LedgerError(f"account {account_id} already open")
        self._balances[account_id] = ZERO
        self._floors[account_id] = floor
        self._holds[account_id] = {}

    def balance(self, account_id: str) -> Decimal:
        """The booked balance."""
        return self._balances[account_id]

    def held(self, account_id: str) -> Decimal:
        """The total held for pending debits (a positive number)."""
        return sum(self._holds[account_id].values(), ZERO)

    def available(self, account_id: str) -> Decimal | None:
        """How much can still be debited, or None for an account without a floor."""
        floor = self._floors[account_id]
        if floor is None:
            return None
        return self._balances[account_id] - self.held(account_id) - floor

    def _require_funds(self, account_id: str, debit: Decimal, *, releasing: str | None) -> None:
        available = self.available(account_id)
        if available is None:
            return
        if releasing is not None:
            available += self._holds[account_id].get(releasing, ZERO)
        if debit > available:
            raise InsufficientFunds(account_id, available, debit)

    def post(
        self,
        reference: str,
        postings: list[Posting],
        at: datetime,
        *,
        releasing_hold: str | None = None,
    ) -> JournalEntry:
        """Apply ``postings`` atomically; they must sum to zero and respect every floor.

        ``releasing_hold`` names a hold that this entry books: its funds count as available
        for the check and the hold is released when the entry is applied.
        """
        if sum((p.amount for p in postings), ZERO) != ZERO:
            raise UnbalancedEntry(f"entry {reference} does not balance")
        for posting in postings:
            if posting.account_id not in self._balances:
                raise LedgerError(f"unknown ledger account {posting.account_id}")
        for posting in postings:
            if posting.amount < ZERO:
                self._require_funds(posting.account_id, -posting.amount, releasing=releasing_hold)
        for posting in postings:
            self._balances[posting.account_id] += posting.amount
            if releasing_hold is not None:
                self._holds[posting.account_id].pop(releasing_hold, None)
        entry = JournalEntry(len(self.journal) + 1, reference, at, tuple(postings))
        self.journal.append(entry)
        return entry

    def hold(self, account_id: str, reference: str, amount: Decimal) -> None:
        """Reserve ``amount`` (positive) of ``account_id`` for a pending debit."""
        if amount <= ZERO:
            raise LedgerError("a hold must be positive")
        self._require_funds(account_id, amount, releasing=None)
        self._holds[account_id][reference] = amount

    def release(self, account_id: str, reference: str) -> None:
        """Drop a hold without booking it (an authorisation that expired or was refused)."""
        self._holds[account_id].pop(reference, None)

    def total(self) -> Decimal:
        """Sum of every balance: always zero in a sound ledger."""
        return sum(self._balances.values(), ZERO)
