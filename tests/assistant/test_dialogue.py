"""The dialogue's mechanics with a scripted NLU (so only the dialogue is under test): answering
once, the apology, slot filling, confirmation and cancel, paging, follow-ups, buttons."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI

from bankchat.assistant import handlers, service
from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.models import AssistantState
from bankchat.assistant.nlu.intents import Intent
from bankchat.messaging import service as messaging
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from tests.assistant.conftest import Chat, ScriptedNlu, open_chat
from tests.platform_support import link, sign_up

LAST_MONTH = {"from": "2026-10-01", "to": "2026-10-31"}


async def chat_of(
    platform_app: FastAPI, platform: Platform, nlu: ScriptedNlu, **options: str
) -> Chat:
    person = await sign_up(platform_app, **options)
    return await open_chat(platform, person.id, nlu)


async def linked_chat(platform_app: FastAPI, platform: Platform, nlu: ScriptedNlu) -> Chat:
    person = await sign_up(platform_app)
    await link(person, "nordbank")
    return await open_chat(platform, person.id, nlu)


async def test_a_data_question_without_a_linked_bank_leads_to_linking(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance?", Intent.CHECK_BALANCE)
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.say("balance?")
    assert answer.buttons == {"Link a bank": "open:#/link"}


async def test_a_message_delivered_twice_is_answered_once(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("hi", Intent.GREET)
    chat = await chat_of(platform_app, platform, scripted)
    incoming = await chat.post("text", {"text": "hi"})
    first = await chat.deliver(incoming)
    second = await chat.deliver(incoming)
    assert len(first.messages) == 1
    assert second.messages == first.messages
    async with platform.sessions() as session:
        assert await messaging.last_seq(session, chat.conversation_id) == incoming.seq + 1


async def test_a_failing_handler_answers_an_apology_without_logging_the_text(
    platform_app: FastAPI,
    platform: Platform,
    scripted: ScriptedNlu,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(turn: Turn) -> Reply:
        raise RuntimeError(f"cannot handle {turn.text}")

    monkeypatch.setitem(handlers.HANDLERS, Intent.GREET, broken)
    scripted.add("hello my secret friend", Intent.GREET)
    chat = await chat_of(platform_app, platform, scripted)
    with caplog.at_level(logging.ERROR):
        answer = await chat.say("hello my secret friend")
    assert answer.texts == ["Sorry, something went wrong on my side. Please try again in a moment."]
    assert "RuntimeError" in caplog.text
    assert "secret" not in caplog.text


async def test_the_reply_is_in_the_language_the_person_wrote_in(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("Hallo!", Intent.GREET, language="de")
    chat = await chat_of(platform_app, platform, scripted, language="en")
    answer = await chat.say("Hallo!")
    assert answer.texts[0].startswith("Hallo! Ich beantworte")


async def test_send_money_asks_for_the_amount_then_says_it_cannot_yet(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("Schick Max Müller Geld", Intent.SEND_MONEY, language="de", recipient="Max Müller")
    scripted.add("12,50 €", Intent.OUT_OF_SCOPE, language="de", amount="12.50", currency="EUR")
    chat = await chat_of(platform_app, platform, scripted, language="de")
    asked = await chat.say("Schick Max Müller Geld")
    assert asked.texts == ["Wie viel möchtest du Max Müller schicken?"]
    answer = await chat.say("12,50 €")
    assert answer.texts[0].startswith("Verstanden: 12,50\xa0€ an Max Müller.")
    assert "noch nicht" in answer.texts[0]


async def test_send_money_takes_a_name_as_written_for_the_recipient(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("send 20 dollars", Intent.SEND_MONEY, amount="20.00", currency="USD")
    chat = await chat_of(platform_app, platform, scripted)
    asked = await chat.say("send 20 dollars")
    assert asked.texts == ["Who would you like to send $20.00 to?"]
    answer = await chat.say("to mom.")
    assert answer.texts[0].startswith("Got it: $20.00 to mom.")


async def test_an_unclear_amount_is_asked_again_and_then_left(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("pay Anna", Intent.SEND_MONEY, recipient="Anna")
    chat = await chat_of(platform_app, platform, scripted)
    await chat.say("pay Anna")
    again = await chat.say("a lot")
    assert again.texts[0].startswith("I didn't catch an amount there.")
    given_up = await chat.say("really a lot")
    assert given_up.texts[0].startswith("That didn't work out")


async def test_cancel_drops_the_open_question(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("pay Anna", Intent.SEND_MONEY, recipient="Anna")
    scripted.add("12", Intent.OUT_OF_SCOPE, amount="12.00")
    chat = await chat_of(platform_app, platform, scripted)
    await chat.say("pay Anna")
    cancelled = await chat.say("Cancel!")
    assert cancelled.texts == ["Okay, cancelled."]
    after = await chat.say("12")
    assert not any("Anna" in text for text in after.texts)


async def test_a_confident_other_question_while_a_slot_is_open_changes_the_topic(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("pay Anna", Intent.SEND_MONEY, recipient="Anna")
    scripted.add("link my bank", Intent.LINK_ACCOUNT, confidence=0.97)
    chat = await chat_of(platform_app, platform, scripted)
    await chat.say("pay Anna")
    answer = await chat.say("link my bank")
    assert answer.buttons == {"Link a bank": "open:#/link"}


async def test_a_stale_confirm_button_changes_nothing(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.tap("confirm:0123456789abcdef")
    assert answer.texts == ["That request has expired and nothing was changed. Just ask again."]


async def test_a_say_button_is_understood_as_its_words(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("What can you do?", Intent.HELP)
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.tap("say:What can you do?", label="Help")
    assert answer.texts[0].startswith("I can show your balances")


async def test_an_open_button_gets_no_answer(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    chat = await chat_of(platform_app, platform, scripted)
    assert (await chat.tap("open:#/link")).messages == []


async def test_greeting_offers_things_to_try(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("hey", Intent.GREET)
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.say("hey")
    assert answer.buttons["Balance"] == "say:What's my balance?"


async def test_yes_with_nothing_open_says_so(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("yes", Intent.AFFIRM)
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.say("yes")
    assert answer.texts[0] == "There's no open question right now. What can I do for you?"


async def test_a_follow_up_reruns_the_last_question_with_the_new_merchant(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("spent last month", Intent.SPENDING_SUMMARY, period=LAST_MONTH)
    scripted.add("and at Amazon?", Intent.OUT_OF_SCOPE, confidence=0.3, merchant="Amazon")
    chat = await linked_chat(platform_app, platform, scripted)
    await chat.say("spent last month")
    answer = await chat.say("and at Amazon?")
    [card] = answer.cards
    assert card["type"] == "spending"
    # The October Amazon orders of the test world, on the card and on the checking account.
    assert card["total"]["value"] == "€153.44"


async def test_a_list_pages_on_with_show_more(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("transactions", Intent.LIST_TRANSACTIONS)
    chat = await linked_chat(platform_app, platform, scripted)
    first = await chat.say("transactions")
    [page_one] = first.cards
    assert len(page_one["rows"]) == 5
    more = first.payload_starting("more:")
    second = await chat.tap(more, label="Show more")
    [page_two] = second.cards
    assert page_two["footer"] == "6–7 of 7"
    assert not any(p.startswith("more:") for p in second.buttons.values())
    stale = await chat.tap(more, label="Show more")
    assert stale.texts[0] == "That list is out of date. Just ask for your transactions again."


async def test_listed_transactions_come_newest_first(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("transactions", Intent.LIST_TRANSACTIONS)
    chat = await linked_chat(platform_app, platform, scripted)
    [card] = (await chat.say("transactions")).cards
    assert [row["label"] for row in card["rows"]][:3] == ["Markt 24", "Trattoria Test", "Markt 24"]
    assert card["rows"][0]["detail"].endswith("pending")


async def test_a_list_filtered_by_amount_over(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("payments over 40 euros", Intent.LIST_TRANSACTIONS, amount="40.00", currency="EUR")
    chat = await linked_chat(platform_app, platform, scripted)
    [card] = (await chat.say("payments over 40 euros")).cards
    assert {Decimal(row["amount"]) for row in card["rows"]} == {
        Decimal("2500.00"),
        Decimal("-42.10"),
    }


async def test_an_expired_list_cannot_be_paged(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("transactions", Intent.LIST_TRANSACTIONS)
    chat = await linked_chat(platform_app, platform, scripted)
    more = (await chat.say("transactions")).payload_starting("more:")
    later = world.clock() + timedelta(hours=1)
    platform.clock = lambda: later
    answer = await chat.tap(more)
    assert answer.texts[0] == "That list is out of date. Just ask for your transactions again."


async def test_linking_a_named_bank_opens_its_link_page(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("link Südbank", Intent.LINK_ACCOUNT, bank="Südbank")
    chat = await chat_of(platform_app, platform, scripted)
    answer = await chat.say("link Südbank")
    assert answer.buttons == {"Link Südbank Test": "open:#/link?bank=suedbank"}


async def test_a_lost_card_gets_the_plain_advice_to_call_the_blocking_line(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("Karte weg, sperren!", Intent.LOCK_CARD, language="de")
    chat = await chat_of(platform_app, platform, scripted)
    [text] = (await chat.say("Karte weg, sperren!")).texts
    assert text.startswith("Karten sperren kann ich im Chat noch nicht.")
    assert "116 116" in text


async def test_talking_to_an_agent_is_not_possible_yet(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("human please", Intent.TALK_TO_AGENT)
    chat = await chat_of(platform_app, platform, scripted)
    [text] = (await chat.say("human please")).texts
    assert "isn't possible here yet" in text


async def test_export_and_erasure_point_to_the_privacy_center(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("export my data", Intent.EXPORT_DATA)
    scripted.add("delete everything", Intent.DELETE_DATA)
    chat = await chat_of(platform_app, platform, scripted)
    exported = await chat.say("export my data")
    erased = await chat.say("delete everything")
    assert exported.buttons == erased.buttons == {"Open the privacy center": "open:#/privacy"}
    assert "you decide it there yourself" in erased.texts[0]


async def test_unlinking_with_nothing_linked_says_so(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("unlink", Intent.UNLINK_ACCOUNT)
    chat = await chat_of(platform_app, platform, scripted)
    assert (await chat.say("unlink")).texts == [
        "You have no bank linked right now, so there's nothing to unlink."
    ]


async def test_a_balance_of_an_account_type_not_linked_says_none_was_found(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance at Lake Bank", Intent.CHECK_BALANCE, bank="Lake Bank")
    chat = await linked_chat(platform_app, platform, scripted)
    answer = await chat.say("balance at Lake Bank")
    assert answer.cards == []
    assert answer.texts == ["I couldn't find an account like that among your linked accounts."]


async def test_erasing_everything_erases_the_dialogue_state(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("pay Anna", Intent.SEND_MONEY, recipient="Anna")
    person = await sign_up(platform_app)
    chat = await open_chat(platform, person.id, scripted)
    await chat.say("pay Anna")
    erased = await person.post("/api/v1/privacy/erase", json={"confirmEmail": person.email})
    assert erased.status_code == 204
    async with platform.sessions() as session:
        assert await session.get(AssistantState, chat.conversation_id) is None


async def test_a_person_erased_while_their_answer_is_made_gets_no_conversation_back(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    person = await sign_up(platform_app)
    chat = await open_chat(platform, person.id, scripted)

    async def erase_meanwhile(turn: Turn, **options: object) -> Reply:
        await person.post("/api/v1/privacy/erase", json={"confirmEmail": person.email})
        return Reply(turn).say_text("Your balance is ...")

    incoming = await chat.post("text", {"text": "balance"})
    assert await service.answer(platform, scripted, incoming, respond=erase_meanwhile) is False
    async with platform.sessions() as session:
        assert await messaging.list_conversations(session, person.id) == []
