"""Which transactions a question means: its period (with a default), merchant, category,
amount with a comparator ("über 50 €", "under $20") and direction (incoming/outgoing).

The NLU gives the entities; the comparator and the direction are read here from the
words of the message and kept with the entities (keys ``comparator`` and ``direction``), so
paging and follow-ups filter the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from bankchat.assistant.categories import categorise
from bankchat.vault.records import StoredTransaction

Comparator = Literal["gt", "ge", "lt", "le", "eq"]
Direction = Literal["in", "out"]

# Words before an amount, longest first so "mehr als" wins over "als".
_COMPARATORS: Final[tuple[tuple[str, Comparator], ...]] = (
    ("mindestens", "ge"),
    ("wenigstens", "ge"),
    ("at least", "ge"),
    ("no less than", "ge"),
    ("ab", "ge"),
    ("höchstens", "le"),
    ("maximal", "le"),
    ("at most", "le"),
    ("no more than", "le"),
    ("bis zu", "le"),
    ("up to", "le"),
    ("mehr als", "gt"),
    ("größer als", "gt"),
    ("more than", "gt"),
    ("greater than", "gt"),
    ("larger than", "gt"),
    ("bigger than", "gt"),
    ("higher than", "gt"),
    ("über", "gt"),
    ("ueber", "gt"),
    ("over", "gt"),
    ("above", "gt"),
    ("weniger als", "lt"),
    ("kleiner als", "lt"),
    ("less than", "lt"),
    ("smaller than", "lt"),
    ("lower than", "lt"),
    ("unter", "lt"),
    ("under", "lt"),
    ("below", "lt"),
)
_COMPARATOR_PATTERN: Final = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(w) for w, _ in sorted(_COMPARATORS, key=lambda c: -len(c[0])))
    + r")(?!\w)\s*[$€£]?\s*\d"
)
_COMPARATOR_OF: Final = dict(_COMPARATORS)

_INCOMING: Final = re.compile(
    r"(?<!\w)(eingänge|eingang|eingegangen|gutschrift\w*|einnahmen|bekommen|erhalten|"
    r"eingezahlt|incoming|received|receive|credits?|deposits?|(?:get|got|gets|getting) paid|"
    r"money in|income)(?!\w)"
)
_OUTGOING: Final = re.compile(
    r"(?<!\w)(ausgänge|ausgang|ausgaben|abbuchung\w*|lastschrift\w*|abgebucht|bezahlt|"
    r"gezahlt|überwiesen|outgoing|spent|spend|paid|debits?|charges?|money out)(?!\w)"
)

DEFAULT_LIST_DAYS: Final = 30


def comparator_in(text: str) -> Comparator | None:
    """The comparator written before an amount, if any."""
    match = _COMPARATOR_PATTERN.search(text.casefold())
    return _COMPARATOR_OF[match.group(1)] if match else None


def direction_in(text: str) -> Direction | None:
    """Incoming or outgoing, if the words say so (and not both)."""
    lowered = text.casefold()
    # "got paid" is money in: what the incoming words explain is not read again.
    rest, found_incoming = _INCOMING.subn(" ", lowered)
    incoming, outgoing = found_incoming > 0, bool(_OUTGOING.search(rest))
    if incoming == outgoing:
        return None
    return "in" if incoming else "out"


def with_text_hints(entities: dict[str, Any], text: str) -> dict[str, Any]:
    """The entities plus the comparator (when there is an amount) and direction in ``text``."""
    result = dict(entities)
    if "amount" in result:
        comparator = comparator_in(text)
        if comparator is not None:
            result["comparator"] = comparator
    direction = direction_in(text)
    if direction is not None:
        result["direction"] = direction
    return result


def period_of(entities: dict[str, Any], default: tuple[date, date]) -> tuple[date, date]:
    """The period the entities name, else ``default``; a reversed one is put right."""
    period = entities.get("period")
    if isinstance(period, dict):
        try:
            start = date.fromisoformat(str(period["from"]))
            end = date.fromisoformat(str(period["to"]))
        except (KeyError, ValueError):
            return default
        return (start, end) if start <= end else (end, start)
    return default


def last_days(today: date, days: int = DEFAULT_LIST_DAYS) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def _amount(entities: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(entities["amount"])) if "amount" in entities else None
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Everything but the period a transaction question filters by."""

    merchant: str | None = None
    category: str | None = None
    amount: Decimal | None = None
    comparator: Comparator = "eq"
    currency: str | None = None
    direction: Direction | None = None

    @classmethod
    def of(cls, entities: dict[str, Any]) -> TransactionFilter:
        merchant = entities.get("merchant")
        category = entities.get("category")
        currency = entities.get("currency")
        comparator = entities.get("comparator")
        direction = entities.get("direction")
        if category == "income" and direction is None:
            direction = "in"
        return cls(
            merchant=str(merchant).casefold().strip() if merchant else None,
            category=str(category) if category else None,
            amount=_amount(entities),
            comparator=comparator if comparator in ("gt", "ge", "lt", "le", "eq") else "eq",
            currency=str(currency) if currency else None,
            direction=direction if direction in ("in", "out") else None,
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
        if self.category is not None and categorise(record).value != self.category:
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
