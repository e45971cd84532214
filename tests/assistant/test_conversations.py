"""Scripted conversations with the trained NLU against sandbox data: what people write,
and answers whose numbers are checked against what the sandbox bank holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import select

from bankchat.assistant.replies import money
from bankchat.assistant.service import Understands
from bankchat.banking.models import Connection
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from tests.assistant.conftest import Chat, open_chat
from tests.assistant.test_answers import CUSTOMER_ACCOUNTS, bank_balance, bank_spending
from tests.platform_support import link, sign_up

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


async def new_chat(
    platform_app: FastAPI, platform: Platform, nlu: Understands, *, linked: bool = True
) -> Chat:
    person = await sign_up(platform_app, language="en")
    if linked:
        await link(person, "nordbank")
    return await open_chat(platform, person.id, nlu)


async def test_wie_ist_mein_kontostand_answers_the_banks_balances_in_german(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands, world: World
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    answer = await chat.say("Wie ist mein Kontostand?")
    [card] = answer.cards
    assert card["language"] == "de"
    assert card["title"] == "Deine Kontostände"
    assert {row["value"] for row in card["rows"]} == {
        money(bank_balance(world, account, "closingBooked"), "EUR", "de")
        for account in CUSTOMER_ACCOUNTS
    }
    assert answer.buttons["Ausgaben diesen Monat"] == "say:Was habe ich diesen Monat ausgegeben?"


async def test_what_did_i_spend_last_month_totals_the_banks_outgoing_bookings(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands, world: World
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    answer = await chat.say("what did I spend last month")
    [card] = answer.cards
    assert card["language"] == "en"
    assert card["total"]["value"] == money(bank_spending(world, *OCTOBER), "EUR", "en")


async def test_und_bei_amazon_follows_up_on_the_last_question(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands, world: World
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    await chat.say("Was habe ich letzten Monat ausgegeben?")
    answer = await chat.say("und bei Amazon?")
    [card] = answer.cards
    amazon = bank_spending(world, *OCTOBER, merchant="amazon")
    assert amazon == Decimal("153.44")
    assert card["total"]["value"] == money(amazon, "EUR", "de")
    assert card["title"] == "Ausgaben bei Amazon"


async def test_and_last_month_changes_only_the_period(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands, world: World
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    this_month = await chat.say("how much did I spend at REWE this month")
    [card] = this_month.cards
    assert card["total"]["value"] == "€30.00"
    answer = await chat.say("and last month?")
    [card] = answer.cards
    assert card["total"]["value"] == money(
        bank_spending(world, *OCTOBER, merchant="rewe"), "EUR", "en"
    )


async def test_a_list_pages_on_when_asked_for_more(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    first = await chat.say("show my transactions")
    [page_one] = first.cards
    assert page_one["footer"] == "1–5 of 7"
    second = await chat.say("show more")
    [page_two] = second.cards
    assert page_two["footer"] == "6–7 of 7"


async def test_unlinking_with_confirmation_ends_the_connection(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    asked = await chat.say("Trenne die Verbindung zur Nordbank Test")
    [card] = asked.cards
    assert card["type"] == "confirmation"
    done = await chat.say("ja")
    assert done.texts[0].startswith("Erledigt: Die Verbindung zu Nordbank Test ist getrennt")
    async with platform.sessions() as session:
        assert list((await session.execute(select(Connection.status))).scalars()) == [
            "terminatedByTpp"
        ]


async def test_cancelling_an_unlink_keeps_the_connection(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    await chat.say("disconnect my bank")
    cancelled = await chat.say("cancel")
    assert cancelled.texts == ["Okay, cancelled."]
    async with platform.sessions() as session:
        assert list((await session.execute(select(Connection.status))).scalars()) == ["valid"]


async def test_send_money_asks_what_is_missing_and_then_says_not_yet(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu, linked=False)
    asked = await chat.say("Ich möchte Max Müller Geld schicken")
    assert asked.texts == ["Wie viel möchtest du Max Müller schicken?"]
    answer = await chat.say("12,50 €")
    assert answer.texts[0].startswith("Verstanden: 12,50\xa0€ an Max Müller.")


async def test_send_money_takes_the_name_as_written(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu, linked=False)
    asked = await chat.say("send 20 euros")
    assert asked.texts == ["Who would you like to send €20.00 to?"]
    answer = await chat.say("Anna Schmidt")
    assert answer.texts[0].startswith("Got it: €20.00 to Anna Schmidt.")


async def test_without_a_bank_a_balance_question_leads_to_linking(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu, linked=False)
    answer = await chat.say("Kontostand??")
    assert answer.buttons == {"Bank verbinden": "open:#/link"}


async def test_the_ads_question_gets_the_facts_and_the_access_log(
    platform_app: FastAPI, platform: Platform, trained_nlu: Understands
) -> None:
    chat = await new_chat(platform_app, platform, trained_nlu)
    await chat.say("what's my balance")
    answer = await chat.say("did you use my data for ads?")
    facts, log = answer.texts
    assert facts.startswith("In short: your bank data is never used for advertising")
    assert (
        "The assistant read your account details and balances at Nordbank Test"
        " to answer your request." in log
    )
    assert answer.buttons == {"Open the privacy center": "open:#/privacy"}
