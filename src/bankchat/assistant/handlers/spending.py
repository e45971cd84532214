"""spending_summary: what went out in a period (default: this month), by category with
the top categories first, or the total at the merchant or in the category named.

Spending is the booked outgoing transactions; pending ones are left out until the bank
books them (the footer says how many are waiting), and money coming in is not netted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Final

from bankchat.assistant import cards
from bankchat.assistant.categories import categorise
from bankchat.assistant.handlers import bank_data
from bankchat.assistant.handlers.base import Reply, Turn, suggestions
from bankchat.assistant.handlers.filters import TransactionFilter, this_month
from bankchat.assistant.replies import join, money, period
from bankchat.vault.records import StoredTransaction

TOP_ROWS: Final = 8
TOP_NAMED: Final = 3


def _totals_text(totals: dict[str, Decimal], turn: Turn) -> str:
    return " · ".join(
        money(amount, currency, turn.language) for currency, amount in sorted(totals.items())
    )


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{(part / whole * 100).quantize(Decimal(1))} %" if whole else "0 %"


async def spending_summary(turn: Turn) -> Reply:
    reply = Reply(turn)
    asked = turn.entities.period or this_month(turn.today)
    when = period(asked.start, asked.end, turn.language)
    found = await bank_data.transactions(turn, date_from=asked.start, date_to=asked.end)
    wanted = replace(TransactionFilter.of(turn.entities, turn.hints), direction="out")
    outgoing = [t for t in found if wanted.matches(t)]
    booked = [t for t in outgoing if t.record.status == "booked"]
    waiting = len(outgoing) - len(booked)
    merchant, category = turn.entities.merchant, turn.entities.category
    if merchant:
        subject = turn.t("spending.at_merchant", merchant=merchant)
    elif category:
        subject = turn.t("spending.in_category", category=turn.t(f"category.{category.value}"))
    else:
        subject = None
    if not booked:
        if subject:
            return reply.say("spending.none_for", subject=subject, period=when)
        return reply.say("spending.none", period=when).buttons(suggestions(turn, ("transactions",)))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for stored in booked:
        totals[stored.record.currency] += -stored.record.amount
    total_text = _totals_text(totals, turn)
    footer = turn.tn("spending.pending_left_out", waiting) if waiting else None
    if subject:
        reply.say("spending.total_for", subject=subject, period=when, total=total_text)
        rows = _by_label(booked, turn)
        title = turn.t("spending.title_for", subject=subject)
    else:
        rows = _by_category(booked, totals, turn)
        reply.say_text(_summary(turn, when, total_text, rows))
        title = turn.t("spending.title", period=when)
    reply.card(
        cards.card(
            "spending",
            title,
            rows[:TOP_ROWS],
            turn.language,
            total=(turn.t("spending.total_label"), total_text),
            footer=footer,
        )
    )
    return reply.buttons(suggestions(turn, ("transactions", "balance")))


def _summary(turn: Turn, when: str, total: str, rows: list[dict[str, object]]) -> str:
    """The total, and the biggest categories when there are several."""
    text = turn.t("spending.total", period=when, total=total)
    biggest = list(dict.fromkeys(str(row["label"]) for row in rows))[:TOP_NAMED]
    if len(biggest) > 1:
        text += " " + turn.t("spending.top", categories=join(biggest, turn.language))
    return text


def _by_category(
    booked: list[StoredTransaction], totals: dict[str, Decimal], turn: Turn
) -> list[dict[str, object]]:
    """Rows per category (and currency), the largest first, with their share."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for stored in booked:
        key = (categorise(stored.record).value, stored.record.currency)
        sums[key] += -stored.record.amount
        counts[key] += 1
    ordered = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
    return [
        cards.row(
            turn.t(f"category.{category}"),
            detail=turn.tn("spending.count", counts[(category, currency)]),
            value=money(amount, currency, turn.language),
            secondary=_share(amount, totals[currency]),
            tone="out",
            amount=amount,
            currency=currency,
        )
        for (category, currency), amount in ordered
    ]


def _by_label(booked: list[StoredTransaction], turn: Turn) -> list[dict[str, object]]:
    """Rows per merchant or counterparty (and currency), the largest first."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for stored in booked:
        record = stored.record
        label = record.merchant or record.counterparty_name or turn.t("transactions.unnamed")
        sums[(label, record.currency)] += -record.amount
        counts[(label, record.currency)] += 1
    ordered = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
    return [
        cards.row(
            label,
            detail=turn.tn("spending.count", counts[(label, currency)]),
            value=money(amount, currency, turn.language),
            tone="out",
            amount=amount,
            currency=currency,
        )
        for (label, currency), amount in ordered
    ]
