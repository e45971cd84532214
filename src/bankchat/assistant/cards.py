"""The card format the web client renders (the contract with the web messenger).

A card message has kind ``card`` and body ``{"card": {...}}`` with ``type``, ``title``,
``rows`` (label, detail, value, secondary, tone, and for machines the raw ``amount`` and
``currency``), ``total``, ``footer`` and ``language``. Every display string is formatted
here on the server, so the client only lays it out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from bankchat.language import Language
from bankchat.vault.records import decimal_text

CardType = Literal["balance", "transactions", "spending", "confirmation"]
Tone = Literal["in", "out"]


def row(
    label: str,
    *,
    detail: str | None = None,
    value: str | None = None,
    secondary: str | None = None,
    tone: Tone | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """One row of a card; ``amount``/``currency`` travel raw besides the formatted value."""
    entry: dict[str, Any] = {
        "label": label,
        "detail": detail,
        "value": value,
        "secondary": secondary,
        "tone": tone,
    }
    if amount is not None:
        entry["amount"] = decimal_text(amount)
    if currency is not None:
        entry["currency"] = currency
    return entry


def card(
    card_type: CardType,
    title: str,
    rows: list[dict[str, Any]],
    language: Language,
    *,
    total: tuple[str, str] | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """The body of a ``card`` message."""
    return {
        "card": {
            "type": card_type,
            "title": title,
            "rows": rows,
            "total": {"label": total[0], "value": total[1]} if total else None,
            "footer": footer,
            "language": language,
        }
    }


def tone_of(amount: Decimal) -> Tone:
    return "in" if amount > 0 else "out"
