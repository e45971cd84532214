"""Which transactions a question means: its period (with a default), merchant, category,
amount with a comparator ("über 50 €", "under $20") and direction (incoming/outgoing).

The NLU gives the entities; the comparator and the direction come from the words of the
message (``bankchat.assistant.hints``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from bankchat.assistant.categories import categorise
from bankchat.assistant.hints import NO_HINTS, Comparator, Direction, Hints
from bankchat.assistant.nlu.intents import Category
from bankchat.assistant.nlu.result import Entities, Period
from bankchat.vault.records import StoredTransaction

DEFAULT_LIST_DAYS: Final = 30


def last_days(today: date, days: int = DEFAULT_LIST_DAYS) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Everything but the period a transaction question filters by."""

    merchant: str | None = None
    category: Category | None = None
    amount: Decimal | None = None
    comparator: Comparator = "eq"
    currency: str | None = None
    direction: Direction | None = None

    @classmethod
    def of(cls, entities: Entities, hints: Hints = NO_HINTS) -> TransactionFilter:
        direction = hints.direction
        if entities.category is Category.INCOME and direction is None:
            direction = "in"
        return cls(
            merchant=entities.merchant.casefold().strip() if entities.merchant else None,
            category=entities.category,
            amount=entities.amount,
            comparator=hints.comparator or "eq",
            currency=entities.currency or None,
            direction=direction,
        )

    def matches(self, stored: StoredTransaction) -> bool:
        record = stored.record
        if self.direction == "in" and record.amount <= 0:
            return False
        if self.direction == "out" and record.amount >= 0:
            return False
        if self.currency is not None and record.currency != self.currency:
            return False
        if self.merchant is not None:
            texts = (record.merchant, record.counterparty_name, record.remittance)
            if not any(t and self.merchant in t.casefold() for t in texts):
                return False
        if self.category is not None and categorise(record) is not self.category:
            return False
        return self.amount is None or _compare(abs(record.amount), self.comparator, self.amount)


def _compare(value: Decimal, comparator: Comparator, bound: Decimal) -> bool:
    if comparator == "gt":
        return value > bound
    if comparator == "ge":
        return value >= bound
    if comparator == "lt":
        return value < bound
    if comparator == "le":
        return value <= bound
    return value == bound
