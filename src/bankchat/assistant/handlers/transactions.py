"""list_transactions: the person's transactions filtered by period (default: the last 30
days), merchant, category, amount and direction, newest first, five at a time with a
"show more" button that pages on from the dialogue state."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from bankchat.assistant import cards
from bankchat.assistant.categories import categorise
from bankchat.assistant.handlers import bank_data
from bankchat.assistant.handlers.base import Reply, Turn, suggestions
from bankchat.assistant.handlers.filters import TransactionFilter, last_days
from bankchat.assistant.replies import money, period, short_day
from bankchat.assistant.state import new_cursor
from bankchat.vault.records import StoredTransaction

PAGE_SIZE: Final = 5


def describe(stored: StoredTransaction, turn: Turn) -> dict[str, Any]:
    """One card row: who, when (and pending), how much."""
    record = stored.record
    label = (
        record.merchant
        or record.counterparty_name
        or record.remittance
        or turn.t("transactions.unnamed")
    )
    when = record.sort_date
    details = [short_day(when, turn.language)] if when else []
    details.append(turn.t(f"category.{categorise(record).value}"))
    if record.status == "pending":
        details.append(turn.t("transactions.pending"))
    return cards.row(
        label,
        detail=" · ".join(details),
        value=money(record.amount, record.currency, turn.language),
        tone=cards.tone_of(record.amount),
        amount=record.amount,
        currency=record.currency,
    )


async def matching(turn: Turn) -> tuple[list[StoredTransaction], str]:
    """The transactions the turn asks for, newest first, and their period in words."""
    asked = turn.entities.period or last_days(turn.today)
    found = await bank_data.transactions(turn, date_from=asked.start, date_to=asked.end)
    wanted = TransactionFilter.of(turn.entities, turn.hints)
    return [t for t in found if wanted.matches(t)], period(asked.start, asked.end, turn.language)


async def list_transactions(turn: Turn) -> Reply:
    return await page(turn, offset=0)


async def page(turn: Turn, *, offset: int) -> Reply:
    """The page of the list starting at ``offset``, with a "show more" button if more follow."""
    reply = Reply(turn)
    found, when = await matching(turn)
    if not found:
        reply.keep(replace(turn.state, cursor=None))
        return reply.say("transactions.none", period=when).buttons(
            suggestions(turn, ("transactions", "spending"))
        )
    shown = found[offset : offset + PAGE_SIZE]
    if not shown:
        reply.keep(replace(turn.state, cursor=None))
        return reply.say("transactions.no_more")
    end = offset + len(shown)
    reply.card(
        cards.card(
            "transactions",
            turn.t("transactions.title", period=when),
            [describe(t, turn) for t in shown],
            turn.language,
            footer=turn.t("transactions.range", first=offset + 1, last=end, count=len(found)),
        )
    )
    if end < len(found):
        cursor = new_cursor(turn.entities, turn.hints, end, turn.now)
        reply.keep(replace(turn.state, cursor=cursor))
        return reply.buttons(
            [(turn.t("transactions.more"), f"more:{cursor.id}")],
            prompt=turn.tn("transactions.more_prompt", len(found) - end),
        )
    return reply.keep(replace(turn.state, cursor=None))
