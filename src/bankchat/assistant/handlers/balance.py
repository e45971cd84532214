"""check_balance: the booked and the available balance of every linked account (or the
ones named by account type or bank) as a ``balance`` card, with a total per currency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from bankchat.assistant import cards
from bankchat.assistant.handlers import bank_data
from bankchat.assistant.handlers.base import Reply, Turn, suggestions
from bankchat.assistant.replies import money
from bankchat.vault.records import Balance

# NextGenPSD2 balance types, the most telling first. Booked: what is on the account;
# available: what can be spent now (credit line included where the bank says so).
BOOKED_TYPES: Final = ("interimBooked", "closingBooked", "openingBooked")
AVAILABLE_TYPES: Final = ("interimAvailable", "expected", "closingAvailable", "forwardAvailable")


def pick(balances: Sequence[Balance], preference: Sequence[str]) -> Balance | None:
    """The first balance of the preferred types the bank gave."""
    by_type = {b.balance_type: b for b in balances}
    for balance_type in preference:
        if balance_type in by_type:
            return by_type[balance_type]
    return None


def totals_text(totals: dict[str, Decimal], turn: Turn) -> str:
    return " · ".join(
        money(amount, currency, turn.language) for currency, amount in sorted(totals.items())
    )


async def check_balance(turn: Turn) -> Reply:
    """The balance card; one audited read, which also tells whether anything is linked."""
    reply = Reply(turn)
    found = await bank_data.accounts_with_balances(turn)
    if not found.accounts:
        raise bank_data.NothingLinked
    chosen = bank_data.choose_accounts(turn.platform, found.accounts, turn.entities)
    if not chosen:
        return reply.say("balance.no_match").buttons(
            [(turn.t("balance.all_accounts"), f"say:{turn.t('suggest.balance.say')}")]
        )
    if any(account.account_id not in found.balances for account in chosen):
        # Asked about an account shared without balances: the answer a refused read gets.
        raise bank_data.NotShared
    rows = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    missing = 0
    for account in chosen:
        balances = found.balances[account.account_id]
        booked = pick(balances, BOOKED_TYPES)
        available = pick(balances, AVAILABLE_TYPES)
        if booked is None and available is None:
            missing += 1
            continue
        shown = booked or available
        assert shown is not None
        totals[shown.currency] += shown.amount
        rows.append(
            cards.row(
                bank_data.account_label(turn.platform, account),
                detail=bank_data.account_detail(turn.platform, account),
                value=money(shown.amount, shown.currency, turn.language),
                secondary=(
                    turn.t(
                        "balance.available",
                        amount=money(available.amount, available.currency, turn.language),
                    )
                    if available is not None and booked is not None
                    else None
                ),
                amount=shown.amount,
                currency=shown.currency,
            )
        )
    if not rows:
        return reply.say("balance.not_synced")
    footer = turn.t("balance.some_not_synced") if missing else None
    title = turn.t("balance.title_one") if len(rows) == 1 else turn.t("balance.title")
    reply.card(
        cards.card(
            "balance",
            title,
            rows,
            turn.language,
            total=(turn.t("balance.total"), totals_text(totals, turn)) if len(rows) > 1 else None,
            footer=footer,
        )
    )
    return reply.buttons(suggestions(turn, ("spending", "transactions")))
