"""Answering one message of a person in their assistant conversation.

Understand it (the NLU, in the person's language), answer it (the dialogue), then in one
transaction: claim the message in the conversation's state (a message already answered
is not answered again), post the reply messages with client ids derived from the
person's message id (so even a second process posts nothing twice) and keep the new
state. Delivery follows the commit. A failure answers a short apology; the log never
holds what the person wrote.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.assistant import dialogue
from bankchat.assistant.handlers.base import Reply, Turn
from bankchat.assistant.models import AssistantState
from bankchat.assistant.nlu.result import Parse
from bankchat.assistant.state import DialogueState
from bankchat.errors import NotFound
from bankchat.events import Event, MessageStored
from bankchat.identity import service as identity
from bankchat.language import Language
from bankchat.messaging import service as messaging
from bankchat.messaging.schemas import ASSISTANT_ID, SYSTEM_ID
from bankchat.platform import Platform
from bankchat.uow import Tx

logger = logging.getLogger(__name__)

ANSWERED_KINDS: Final = frozenset({"text", "quick_reply"})
# Within this time after the last answer, text in no clear language ("12,50 €", "ok") is
# answered in the conversation's language rather than the person's preferred one.
CONVERSATION_PAUSE: Final = timedelta(minutes=30)
SAY_PREFIX: Final = "say:"

Responder = Callable[..., Awaitable[Reply]]


@runtime_checkable
class Understands(Protocol):
    """What the service needs of the NLU (``bankchat.assistant.nlu.Nlu``)."""

    def parse(
        self,
        text: str,
        *,
        today: Any,
        default_language: Language = "en",
        banks: Sequence[str] = (),
    ) -> Parse: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """A person's message to the assistant, as the bus delivered it."""

    id: str
    conversation_id: str
    seq: int
    sender_id: str
    kind: str
    body: dict[str, Any]


def incoming_of(event: Event) -> Incoming | None:
    """The person's message in a bus event, or None when it is nothing to answer (the
    assistant's own messages, notices, anything but text and tapped buttons)."""
    if not isinstance(event, MessageStored):
        return None
    message = event.message
    sender, kind = message.get("senderId"), message.get("kind")
    if not isinstance(sender, str) or sender in (ASSISTANT_ID, SYSTEM_ID):
        return None
    if kind not in ANSWERED_KINDS or not isinstance(message.get("body"), dict):
        return None
    try:
        return Incoming(
            id=str(message["id"]),
            conversation_id=str(message["conversationId"]),
            seq=int(message["seq"]),
            sender_id=sender,
            kind=str(kind),
            body=dict(message["body"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def words_and_payload(message: Incoming) -> tuple[str, str | None]:
    """What to understand, and the tapped button's payload (None for typed text).

    A ``say:`` button is understood as the words it carries."""
    text = str(message.body.get("text", ""))
    if message.kind != "quick_reply":
        return text, None
    payload = str(message.body.get("payload", ""))
    if payload.startswith(SAY_PREFIX):
        return payload[len(SAY_PREFIX) :], None
    return text, payload


def reply_client_id(message_id: str, index: int) -> str:
    """The client id of the ``index``-th reply to a message: the same every time."""
    return f"re:{message_id}:{index}"


async def _advance(
    session: AsyncSession, message: Incoming, state: dict[str, Any], now: datetime
) -> bool:
    """Mark the message answered and keep ``state``, if the conversation's state row is
    the sender's and has not reached the message yet. The UPDATE takes the row's write
    lock, so a second process answering the same message waits for this commit and then
    matches nothing."""
    advanced = await session.execute(
        update(AssistantState)
        .where(
            AssistantState.conversation_id == message.conversation_id,
            AssistantState.person_id == message.sender_id,
            AssistantState.handled_seq < message.seq,
        )
        .values(handled_seq=message.seq, data=state, updated_at=now)
        .returning(AssistantState.conversation_id)
    )
    return advanced.first() is not None


async def _claim(
    session: AsyncSession, message: Incoming, state: dict[str, Any], now: datetime
) -> bool:
    """Whether this transaction answers the message: then it is marked answered and
    ``state`` kept. Not if it is answered already, or its conversation is gone (an erased
    person's is, and stays gone).

    While the state row exists one statement does it; the first answer in a conversation
    inserts the row, after checking the sender belongs to the conversation.
    """
    if await _advance(session, message, state, now):
        return True
    try:
        await messaging.members_if_member(session, message.sender_id, message.conversation_id)
    except messaging.ConversationUnknown:
        return False
    dialect = session.get_bind().dialect.name
    construct = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = await session.execute(
        construct(AssistantState)
        .values(
            conversation_id=message.conversation_id,
            person_id=message.sender_id,
            handled_seq=message.seq,
            data=state,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(AssistantState.conversation_id)
    )
    if inserted.first() is not None:
        return True
    # The row is there after all: another process created it meanwhile (or it belongs
    # to someone else, or is past this message, and ``_advance`` refuses again).
    return await _advance(session, message, state, now)


def _ongoing_language(state: DialogueState, updated_at: datetime, now: datetime) -> Language | None:
    """The conversation's language while it is going on (answered within the pause)."""
    if state.language is not None and now - updated_at < CONVERSATION_PAUSE:
        return state.language
    return None


async def _read_state(
    session: AsyncSession, message: Incoming, now: datetime
) -> tuple[int, DialogueState, Language] | None:
    """How far the conversation is answered, its state, and the language to answer text
    in that does not tell its own: the conversation's while it is going on, else the
    person's preferred one. None if the person no longer exists."""
    row = (
        await session.execute(
            select(
                AssistantState.person_id,
                AssistantState.handled_seq,
                AssistantState.data,
                AssistantState.updated_at,
            ).where(AssistantState.conversation_id == message.conversation_id)
        )
    ).one_or_none()
    if row is None:
        handled_seq, state, ongoing = 0, DialogueState(), None
    else:
        handled_seq, state = row.handled_seq, DialogueState.from_json(row.data)
        ongoing = _ongoing_language(state, row.updated_at, now)
    if ongoing is not None and row is not None and row.person_id == message.sender_id:
        # Erasure deletes the person and their conversation (this row with it) in one
        # transaction, so the row shows the person exists; their preferred language
        # is not needed while the conversation goes on.
        return handled_seq, state, ongoing
    try:
        person = await identity.get_person(session, message.sender_id)
    except NotFound:
        return None
    return handled_seq, state, ongoing or person.language


def log_failure(error: BaseException) -> None:
    # Only the kind of error and where it happened: its message may quote private text.
    where = "".join(traceback.format_tb(error.__traceback__))
    logger.error("the assistant could not answer a message: %s\n%s", type(error).__name__, where)


async def answer(
    platform: Platform,
    nlu: Understands | Callable[[], Awaitable[Understands]],
    message: Incoming,
    *,
    respond: Responder = dialogue.respond,
) -> bool:
    """Answer one message (once); True if this call posted the answer.

    ``nlu`` is the NLU or a coroutine function that loads it: a failure to load is
    answered with the apology like any other."""
    now = platform.clock()
    async with platform.sessions() as session:
        known = await _read_state(session, message, now)
    if known is None:
        return False
    handled_seq, stored, fallback = known
    if handled_seq >= message.seq:
        return False
    state = stored.current(now)
    text, payload = words_and_payload(message)
    language = fallback
    try:
        understands = nlu if isinstance(nlu, Understands) else await nlu()
        parse = understands.parse(
            text,
            today=now.date(),
            default_language=fallback,
            banks=[bank.name for bank in platform.banks],
        )
        language = parse.language
        # One unit of work for the answer: what it reads (audited), what it changes and
        # the reply commit together; if it fails, its reads stay in the log (the vault
        # sees to that) and the apology goes out in a unit of its own.
        async with platform.unit_of_work() as tx:
            turn = Turn(
                platform=platform,
                tx=tx,
                person_id=message.sender_id,
                language=language,
                now=now,
                text=text,
                intent=parse.intent,
                entities=parse.entities,
                state=state,
            )
            reply = await respond(turn, payload=payload, confidence=parse.confidence)
            return await _post(tx, message, reply, now)
    except Exception as error:
        log_failure(error)
    apology = Reply.in_language(language, replace(state, pending=None)).say("error.apology")
    async with platform.unit_of_work() as tx:
        return await _post(tx, message, apology, now)


async def _post(tx: Tx, message: Incoming, reply: Reply, now: datetime) -> bool:
    """Claim the message and store the reply in ``tx``; False if it was answered already."""
    kept = replace(reply.state, language=reply.language).as_json()
    if not await _claim(tx.session, message, kept, now):
        return False
    # The replies go to the conversation the message came from: the sender's
    # assistant conversation, which the claim found.
    for index, outgoing in enumerate(reply.messages):
        await messaging.store_message(
            tx,
            conversation_id=message.conversation_id,
            sender_id=ASSISTANT_ID,
            client_id=reply_client_id(message.id, index),
            kind=outgoing.kind,
            body=outgoing.body,
            now=now,
        )
    return True
