"""How ``service.answer`` reads and keeps the conversation's state and posts its replies: a
message answered elsewhere meanwhile is not answered again, the conversation's language
carries unclear text, and a balance question costs one audited read."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from bankchat.assistant import service
from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.models import AssistantState
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.replies import translate
from bankchat.language import Language
from bankchat.messaging import service as messaging
from bankchat.messaging.schemas import ASSISTANT_ID
from bankchat.platform import Platform
from bankchat.sandbox.world import World
from tests.assistant.conftest import Chat, ScriptedNlu, open_chat
from tests.platform_support import link, sign_up


async def new_chat(
    platform_app: FastAPI,
    platform: Platform,
    nlu: ScriptedNlu,
    *,
    language: str = "en",
    scopes: tuple[str, ...] | None = None,
) -> Chat:
    """A chat of a new person; with ``scopes``, after linking Nordbank with them."""
    person = await sign_up(platform_app, language=language)
    if scopes is not None:
        await link(person, "nordbank", scopes=scopes)
    return await open_chat(platform, person.id, nlu)


def out_of_scope_text(language: Language) -> str:
    return translate(language, "out_of_scope.reply")


async def answered_meanwhile(chat: Chat, text: str) -> tuple[bool, list[str]]:
    """Answer ``text`` while another answer of the same message is posted first; whether
    the outer answer posted, and the texts of all the assistant's replies to it."""
    incoming = await chat.post("text", {"text": text})

    async def answer_elsewhere_first(turn: Turn, **options: object) -> Reply:
        assert await service.answer(chat.platform, chat.nlu, incoming) is True
        return Reply(turn).say_text("a second answer")

    posted = await service.answer(chat.platform, chat.nlu, incoming, respond=answer_elsewhere_first)
    return posted, (await chat.answers_to(incoming)).texts


async def test_the_first_message_answered_elsewhere_meanwhile_is_not_answered_again(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("hi", Intent.GREET)
    chat = await new_chat(platform_app, platform, scripted)
    posted, texts = await answered_meanwhile(chat, "hi")
    assert posted is False
    assert len(texts) == 1
    assert "a second answer" not in texts


async def test_a_later_message_answered_elsewhere_meanwhile_is_not_answered_again(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("hi", Intent.GREET)
    chat = await new_chat(platform_app, platform, scripted)
    await chat.say("hi")
    posted, texts = await answered_meanwhile(chat, "hi")
    assert posted is False
    assert len(texts) == 1
    assert "a second answer" not in texts


async def test_the_answer_keeps_the_state_with_the_messages_number(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("Hallo!", Intent.GREET, language="de")
    chat = await new_chat(platform_app, platform, scripted)
    incoming = await chat.post("text", {"text": "Hallo!"})
    await chat.deliver(incoming)
    async with platform.sessions() as session:
        row = await session.get(AssistantState, chat.conversation_id)
    assert row is not None
    assert (row.person_id, row.handled_seq, row.data["language"]) == (
        chat.person_id,
        incoming.seq,
        "de",
    )


async def test_the_replies_come_from_the_assistant_in_the_persons_conversation(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("hi", Intent.GREET)
    chat = await new_chat(platform_app, platform, scripted)
    incoming = await chat.post("text", {"text": "hi"})
    await service.answer(platform, scripted, incoming)
    async with platform.sessions() as session:
        [reply] = await messaging.after(session, chat.conversation_id, incoming.seq, 10)
    assert (reply.sender_id, reply.client_id) == (
        ASSISTANT_ID,
        service.reply_client_id(incoming.id, 0),
    )


async def test_unclear_text_is_answered_in_the_language_of_the_ongoing_conversation(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("Hallo!", Intent.GREET, language="de")
    chat = await new_chat(platform_app, platform, scripted, language="en")
    await chat.say("Hallo!")
    answer = await chat.say("zzz")
    assert answer.texts[0] == out_of_scope_text("de")


async def test_after_a_pause_unclear_text_is_answered_in_the_preferred_language(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu, world: World
) -> None:
    scripted.add("Hallo!", Intent.GREET, language="de")
    chat = await new_chat(platform_app, platform, scripted, language="en")
    await chat.say("Hallo!")
    later = world.clock() + service.CONVERSATION_PAUSE + timedelta(minutes=1)
    platform.clock = lambda: later
    answer = await chat.say("zzz")
    assert answer.texts[0] == out_of_scope_text("en")


async def test_a_balance_question_is_one_audited_read_of_accounts_and_balances(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance", Intent.CHECK_BALANCE)
    chat = await new_chat(platform_app, platform, scripted, scopes=("balances", "transactions"))
    async with platform.sessions() as session:
        before = await platform.vault.access_log(session, person_id=chat.person_id, limit=None)
    assert (await chat.say("balance")).cards
    async with platform.sessions() as session:
        after = await platform.vault.access_log(session, person_id=chat.person_id, limit=None)
    [entry] = after[: len(after) - len(before)]
    assert (entry.action, entry.actor, entry.what["resource"]) == (
        "read",
        "assistant",
        "accounts_with_balances",
    )


async def test_a_balance_of_accounts_shared_without_balances_is_not_shared(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance", Intent.CHECK_BALANCE)
    chat = await new_chat(platform_app, platform, scripted, scopes=("transactions",))
    answer = await chat.say("balance")
    assert answer.cards == []
    assert answer.texts == [
        "You haven't shared the data I'd need for that. The privacy center shows what you share."
    ]
    assert answer.buttons == {"Open the privacy center": "open:#/privacy"}


async def test_a_balance_question_after_unlinking_leads_to_linking_again(
    platform_app: FastAPI, platform: Platform, scripted: ScriptedNlu
) -> None:
    scripted.add("balance", Intent.CHECK_BALANCE)
    person = await sign_up(platform_app)
    connection = await link(person, "nordbank")
    revoked = await person.api.delete(f"/api/v1/connections/{connection}")
    assert revoked.status_code in (200, 204), revoked.text
    chat = await open_chat(platform, person.id, scripted)
    answer = await chat.say("balance")
    assert answer.buttons == {"Link a bank": "open:#/link"}
