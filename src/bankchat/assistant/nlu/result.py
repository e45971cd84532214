"""What parsing one utterance yields (:class:`Parse`, its :class:`Entities` typed), and
their JSON form: the ``bankchat nlu parse`` line of DESIGN.md's NLU contract.

``Entities.to_json`` and ``Entities.from_json`` are the one serialisation of entities: the
contract's line, the held-out examples and the assistant's dialogue state all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.language import Language


def amount_text(amount: Decimal) -> str:
    """An amount in the contract's form: two decimal places, no grouping ("1234.50")."""
    return f"{amount:.2f}"


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: date
    end: date

    def to_json(self) -> dict[str, str]:
        """The contract's form: ``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}``."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Period:
        """The period of ``to_json``'s form; a reversed one is put right."""
        start, end = date.fromisoformat(data["from"]), date.fromisoformat(data["to"])
        return cls(start, end) if start <= end else cls(end, start)


@dataclass(frozen=True, slots=True)
class Entities:
    """What an utterance names; None where it names nothing (DESIGN.md, NLU contract).

    ``amount`` is exact to the cent; ``currency`` an ISO 4217 code, only where the
    utterance names one; ``recipient``, ``merchant`` and ``bank`` as written.
    """

    amount: Decimal | None = None
    currency: str | None = None
    recipient: str | None = None
    period: Period | None = None
    merchant: str | None = None
    category: Category | None = None
    account_type: AccountType | None = None
    bank: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's form, only the entities present, in the contract's order."""
        found: dict[str, Any] = {}
        if self.amount is not None:
            found["amount"] = amount_text(self.amount)
        if self.currency is not None:
            found["currency"] = self.currency
        if self.recipient is not None:
            found["recipient"] = self.recipient
        if self.period is not None:
            found["period"] = self.period.to_json()
        if self.merchant is not None:
            found["merchant"] = self.merchant
        if self.category is not None:
            found["category"] = self.category.value
        if self.account_type is not None:
            found["account_type"] = self.account_type.value
        if self.bank is not None:
            found["bank"] = self.bank
        return found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Entities:
        """The entities of ``to_json``'s form. Keys outside the contract are not entities
        and are left to the caller; a value outside its form is a ``ValueError``."""
        period = data.get("period")
        category = data.get("category")
        account_type = data.get("account_type")
        try:
            return cls(
                amount=_amount(data.get("amount")),
                currency=_text(data.get("currency")),
                recipient=_text(data.get("recipient")),
                period=Period.from_json(period) if period is not None else None,
                merchant=_text(data.get("merchant")),
                category=Category(category) if category is not None else None,
                account_type=AccountType(account_type) if account_type is not None else None,
                bank=_text(data.get("bank")),
            )
        except (ArithmeticError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"entities outside the contract's form: {data!r}") from error


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(value)


def _amount(value: object) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    amount = Decimal(value)  # InvalidOperation, an ArithmeticError, if it is no number
    if not amount.is_finite():
        raise ValueError(value)
    return amount


@dataclass(frozen=True, slots=True)
class Parse:
    """One understood utterance, with only the entities it names."""

    text: str
    language: Language
    intent: Intent
    confidence: float
    entities: Entities = Entities()

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "intent": self.intent.value,
            "confidence": round(self.confidence, 4),
            "entities": self.entities.to_json(),
        }
