"""What the chat cannot do yet (payments, cards, fraud reports, human agents): said
plainly, with what the person can do instead. For money, after asking for what was
missing, the assistant first repeats what it understood ("12,50 € an Max Müller")."""

from __future__ import annotations

from typing import Final

from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.replies import money

DEFAULT_CURRENCY: Final = "EUR"


def understood_amount(turn: Turn) -> str:
    amount = turn.entities.amount
    if amount is None:
        raise ValueError("no amount was understood")
    return money(amount, turn.entities.currency or DEFAULT_CURRENCY, turn.language)


async def send_money(turn: Turn) -> Reply:
    return Reply(turn).say(
        "send_money.not_yet",
        amount=understood_amount(turn),
        recipient=turn.entities.recipient,
    )


async def request_money(turn: Turn) -> Reply:
    return Reply(turn).say(
        "request_money.not_yet",
        amount=understood_amount(turn),
        recipient=turn.entities.recipient,
    )


async def lock_card(turn: Turn) -> Reply:
    return Reply(turn).say("lock_card.not_yet")


async def unlock_card(turn: Turn) -> Reply:
    return Reply(turn).say("unlock_card.not_yet")


async def report_fraud(turn: Turn) -> Reply:
    return Reply(turn).say("report_fraud.not_yet")


async def talk_to_agent(turn: Turn) -> Reply:
    return Reply(turn).say("talk_to_agent.not_yet")
