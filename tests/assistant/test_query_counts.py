"""How many SQL statements a balance answer sends, fixed (as Zulip asserts query counts): a change
that adds one fails here and has to say why by changing the number. Counted on both
databases; the numbers are the same."""

from __future__ import annotations

from fastapi import FastAPI

from bankchat.assistant import service
from bankchat.assistant.nlu.intents import Intent
from bankchat.platform import Platform
from tests.assistant.conftest import ScriptedNlu, open_chat
from tests.platform_support import link, sign_up
from tests.query_counts import statements

# The turn's state (1); the audited read of accounts with balances (grants, the data with
# its key, the audit head and entry: 6); the claim (1); each of the two replies stored in
# the known conversation (duplicate check, sequence, insert, read mark: 4 each).
BALANCE_ANSWER = 16


async def test_a_balance_answer_costs_a_fixed_number_of_statements(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance", Intent.CHECK_BALANCE)
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    chat = await open_chat(platform, person.id, scripted)
    await chat.say("balance")  # the first answer may create the turn's state row
    incoming = await chat.post("text", {"text": "balance"})
    with statements() as seen:
        assert await service.answer(platform, scripted, incoming)
    [card] = (await chat.answers_to(incoming)).cards
    assert card["type"] == "balance"
    assert len(seen) == BALANCE_ANSWER, seen
