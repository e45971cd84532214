"""Entity extraction of the NLU: runs the rule-based extractors over one utterance and gives
its :class:`~bankchat.assistant.nlu.result.Entities` (DESIGN.md's NLU contract).

Which entity an intent gets:

- ``recipient`` only for ``send_money`` and ``request_money``; ``merchant`` and ``category``
  not for those two (there "für Lebensmittel" is a purpose, not a filter).
- ``amount`` with a named currency for every intent; a bare number ("send mom 20",
  "über 100") only for intents about money (payments, balances, transactions, spending,
  fraud); a bare number word ("ten") only for payments or after a comparison ("over fifty").
- A merchant not in the built-in list only for transactions, spending and fraud reports, and
  only as a capitalised name after "at", "bei", "from", "von" or "an".

The period is found first; its numbers are never amounts unless a currency stands with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from bankchat.assistant.nlu.amounts import AmountMatch, choose_amount, find_amounts
from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.assistant.nlu.lexicon import (
    LexiconKind,
    LexiconMatch,
    find_lexicon_matches,
    find_unknown_merchant,
    first_of,
)
from bankchat.assistant.nlu.periods import PeriodMatch, find_period, year_period
from bankchat.assistant.nlu.recipients import RecipientMatch, find_recipient
from bankchat.assistant.nlu.result import Entities
from bankchat.assistant.nlu.text import overlaps, tokenize
from bankchat.language import Language

PAYMENT_INTENTS: Final = frozenset({Intent.SEND_MONEY, Intent.REQUEST_MONEY})
MONEY_INTENTS: Final = PAYMENT_INTENTS | {
    Intent.CHECK_BALANCE,
    Intent.LIST_TRANSACTIONS,
    Intent.SPENDING_SUMMARY,
    Intent.REPORT_FRAUD,
}
TRANSACTION_INTENTS: Final = frozenset(
    {Intent.LIST_TRANSACTIONS, Intent.SPENDING_SUMMARY, Intent.REPORT_FRAUD}
)


@dataclass(frozen=True, slots=True)
class EntityMatches:
    """The entities of one utterance, each with where it stands."""

    amount: AmountMatch | None = None
    recipient: RecipientMatch | None = None
    period: PeriodMatch | None = None
    merchant: LexiconMatch | None = None
    category: LexiconMatch | None = None
    account_type: LexiconMatch | None = None
    bank: LexiconMatch | None = None

    def entities(self) -> Entities:
        """The values found, without where they stand."""
        amount, category, kind = self.amount, self.category, self.account_type
        return Entities(
            amount=amount.value if amount is not None else None,
            currency=amount.currency if amount is not None else None,
            recipient=self.recipient.name if self.recipient is not None else None,
            period=self.period.period if self.period is not None else None,
            merchant=self.merchant.value if self.merchant is not None else None,
            category=Category(category.value) if category is not None else None,
            account_type=AccountType(kind.value) if kind is not None else None,
            bank=self.bank.value if self.bank is not None else None,
        )


def find_entities(
    text: str, language: Language, intent: Intent, today: date, banks: Sequence[str] = ()
) -> EntityMatches:
    """Every entity of ``text`` for ``intent``, with spans (see the module docstring)."""
    tokens = tokenize(text)
    period = find_period(text, language, today, tokens=tokens)
    period_spans = [period.span] if period is not None else []
    lexicon = [
        match
        for match in find_lexicon_matches(text, tokens, language, banks)
        if not overlaps(match.start, match.end, period_spans)
    ]
    amounts = find_amounts(
        text,
        language,
        blocked=period_spans,
        tokens=tokens,
        bare_words=intent in PAYMENT_INTENTS,
    )
    if intent not in PAYMENT_INTENTS:
        years = [match for match in amounts if _is_year(match, text, today)]
        if years and period is None:
            year = years[0]
            period = year_period(int(year.value), today, year.start, year.end)
            period_spans = [period.span]
        amounts = [match for match in amounts if match not in years]
    amount = choose_amount(amounts)
    if amount is not None and amount.currency is None and intent not in MONEY_INTENTS:
        amount = None

    taken = [*period_spans, *(match.span for match in amounts)]
    taken += [match.span for match in lexicon if match.kind is not LexiconKind.MERCHANT]
    recipient: RecipientMatch | None = None
    merchant: LexiconMatch | None = None
    category: LexiconMatch | None = None
    if intent in PAYMENT_INTENTS:
        recipient = find_recipient(
            text,
            intent,
            tokens=tokens,
            blocked=taken,
            amount_start=amount.start if amount is not None else None,
        )
    else:
        merchant = first_of(lexicon, LexiconKind.MERCHANT)
        category = first_of(lexicon, LexiconKind.CATEGORY)
        if merchant is None and intent in TRANSACTION_INTENTS:
            merchant = find_unknown_merchant(text, tokens, taken)
    return EntityMatches(
        amount=amount,
        recipient=recipient,
        period=period,
        merchant=merchant,
        category=category,
        account_type=first_of(lexicon, LexiconKind.ACCOUNT_TYPE),
        bank=first_of(lexicon, LexiconKind.BANK),
    )


def _is_year(amount: AmountMatch, text: str, today: date) -> bool:
    written = text[amount.start : amount.end]
    return (
        amount.currency is None
        and len(written) == 4
        and written.isdigit()
        and 1990 <= int(written) <= today.year + 1
    )


def extract_entities(
    text: str, language: Language, intent: Intent, today: date, banks: Sequence[str] = ()
) -> Entities:
    """The entities of ``text`` for ``intent`` (see the module docstring)."""
    return find_entities(text, language, intent, today, banks).entities()
