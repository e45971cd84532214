"""The assistant's answers, one module per family of intents, and which handler answers
which intent."""

from __future__ import annotations

from typing import Final

from bankchat.assistant.handlers import (
    balance,
    connections,
    not_yet,
    privacy,
    smalltalk,
    spending,
    transactions,
)
from bankchat.assistant.handlers.base import Handler
from bankchat.assistant.nlu.intents import Intent

# Questions answered from bank data: they need a linked bank and can be followed up.
DATA_INTENTS: Final = frozenset(
    {Intent.CHECK_BALANCE, Intent.LIST_TRANSACTIONS, Intent.SPENDING_SUMMARY}
)
# Data questions whose handler learns from its own read whether a bank is linked (it
# raises ``bank_data.NothingLinked``), so no query asks that before it runs.
LINK_FOUND_BY_HANDLER: Final = frozenset({Intent.CHECK_BALANCE})
# Money requests and the slots each needs before the assistant can repeat it.
MONEY_SLOTS: Final[dict[Intent, tuple[str, ...]]] = {
    Intent.SEND_MONEY: ("amount", "recipient"),
    Intent.REQUEST_MONEY: ("amount", "recipient"),
}

HANDLERS: Final[dict[Intent, Handler]] = {
    Intent.GREET: smalltalk.greet,
    Intent.GOODBYE: smalltalk.goodbye,
    Intent.THANKS: smalltalk.thanks,
    Intent.HELP: smalltalk.help_,
    Intent.AFFIRM: smalltalk.nothing_pending,
    Intent.DENY: smalltalk.nothing_pending,
    Intent.OUT_OF_SCOPE: smalltalk.out_of_scope,
    Intent.CHECK_BALANCE: balance.check_balance,
    Intent.LIST_TRANSACTIONS: transactions.list_transactions,
    Intent.SPENDING_SUMMARY: spending.spending_summary,
    Intent.SEND_MONEY: not_yet.send_money,
    Intent.REQUEST_MONEY: not_yet.request_money,
    Intent.LOCK_CARD: not_yet.lock_card,
    Intent.UNLOCK_CARD: not_yet.unlock_card,
    Intent.REPORT_FRAUD: not_yet.report_fraud,
    Intent.TALK_TO_AGENT: not_yet.talk_to_agent,
    Intent.LINK_ACCOUNT: connections.link_account,
    Intent.UNLINK_ACCOUNT: connections.unlink_account,
    Intent.PRIVACY_ACCESS_LOG: privacy.privacy_access_log,
    Intent.EXPORT_DATA: privacy.export_data,
    Intent.DELETE_DATA: privacy.delete_data,
}
