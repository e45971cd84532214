"""HTTP routes of the messenger (docs/protocol.md, "REST"): conversations, history,
sending without a socket, read receipts, people search and contacts. Thin: each route
checks the caller and calls the service; what it stores is published after the commit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from bankchat.api_deps import PlatformDep, SessionDep, TxDep
from bankchat.errors import problem_responses
from bankchat.identity.deps import CurrentPerson
from bankchat.language import Language
from bankchat.messaging import service
from bankchat.messaging.models import Message
from bankchat.messaging.schemas import (
    ASSISTANT_ID,
    ContactRequest,
    ConversationOut,
    HistoryOut,
    Id,
    MemberOut,
    MessageOut,
    OpenDirectRequest,
    PersonOut,
    ReadRequest,
    SendRequest,
)

router = APIRouter(tags=["messaging"])

_PROBLEMS = problem_responses(
    {
        401: "Not logged in (NOT_AUTHENTICATED).",
        403: "CSRF token missing or wrong (CSRF_FAILED).",
        404: "No such conversation, or not the caller's (CONVERSATION_UNKNOWN).",
        422: "Invalid request (VALIDATION_FAILED, INVALID_MESSAGE, MESSAGE_TOO_LONG, "
        "KIND_NOT_ALLOWED).",
    }
)
_PEOPLE_PROBLEMS = problem_responses(
    {
        401: "Not logged in (NOT_AUTHENTICATED).",
        403: "CSRF token missing or wrong (CSRF_FAILED).",
        404: "No such person (PERSON_UNKNOWN).",
        422: "Invalid request, or oneself (VALIDATION_FAILED, SELF_CONVERSATION).",
    }
)

ASSISTANT_NAMES: dict[Language, str] = {"de": "Assistent", "en": "Assistant"}


def message_out(message: Message) -> MessageOut:
    # The socket's and the bus's wire form (``service.message_json``), so REST cannot
    # drift from them; ``MessageOut`` is that form's schema for the API docs.
    return MessageOut.model_validate(service.message_json(message))


def conversation_out(
    summary: service.ConversationSummary, me: str, names: dict[str, str], language: Language
) -> ConversationOut:
    def name(member_id: str) -> str:
        if member_id == ASSISTANT_ID:
            return ASSISTANT_NAMES[language]
        return names.get(member_id, "")

    others = [m for m in summary.member_ids if m != me]
    return ConversationOut(
        id=summary.conversation.id,
        kind=summary.conversation.kind,
        title=", ".join(name(m) for m in others) or name(me),
        members=[MemberOut(id=m, display_name=name(m)) for m in summary.member_ids],
        last_seq=summary.conversation.last_seq,
        last_read_seq=summary.last_read_seq,
        unread=summary.unread,
        last_message=message_out(summary.last_message) if summary.last_message else None,
    )


async def _one_conversation(
    session: AsyncSession, person_id: str, conversation_id: str, language: Language
) -> ConversationOut:
    [summary] = await service.list_conversations(session, person_id, only=conversation_id)
    names = await service.display_names(session, summary.member_ids)
    return conversation_out(summary, person_id, names, language)


@router.get("/conversations", response_model=list[ConversationOut], responses=_PROBLEMS)
async def list_conversations(
    me: CurrentPerson, platform: PlatformDep, tx: TxDep
) -> list[ConversationOut]:
    """The caller's conversations, most recent first, with unread counts."""
    # Every person has an assistant conversation, even one who signed up before it existed.
    await service.ensure_assistant_conversation(tx, me.person.id, now=platform.clock())
    summaries = await service.list_conversations(tx.session, me.person.id)
    names = await service.display_names(tx.session, service.summary_member_ids(summaries))
    return [conversation_out(s, me.person.id, names, me.person.language) for s in summaries]


@router.post("/conversations", response_model=ConversationOut, responses=_PEOPLE_PROBLEMS)
async def open_direct(
    body: OpenDirectRequest, me: CurrentPerson, platform: PlatformDep, tx: TxDep
) -> ConversationOut:
    """The direct conversation with another person, created if new."""
    conversation = await service.open_direct(tx, me.person.id, body.person_id, now=platform.clock())
    return await _one_conversation(tx.session, me.person.id, conversation.id, me.person.language)


@router.get(
    "/conversations/{conversation_id}/messages", response_model=HistoryOut, responses=_PROBLEMS
)
async def history(
    conversation_id: Id,
    me: CurrentPerson,
    session: SessionDep,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryOut:
    """A page of history, oldest first; ``nextBefore`` fetches the page before it."""
    page, next_before = await service.history(session, me.person.id, conversation_id, before, limit)
    return HistoryOut(messages=[message_out(m) for m in page], next_before=next_before)


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses={
        **_PROBLEMS,
        200: {"model": MessageOut, "description": "A resend: the message first stored."},
    },
)
async def send(
    conversation_id: Id,
    body: SendRequest,
    me: CurrentPerson,
    platform: PlatformDep,
    response: Response,
) -> MessageOut:
    """Send without a socket: 201 with the stored message, or 200 with the first one when
    the clientId was sent before."""
    sent = await service.send_and_commit(
        platform.sessions,
        conversation_id=conversation_id,
        sender_id=me.person.id,
        client_id=body.client_id,
        kind=body.kind,
        body=body.body,
        now=platform.clock(),
    )
    await service.publish_sent(platform.bus, sent)
    if sent.duplicate:
        response.status_code = 200
    return message_out(sent.message)


@router.post("/conversations/{conversation_id}/read", status_code=204, responses=_PROBLEMS)
async def mark_read(
    conversation_id: Id, body: ReadRequest, me: CurrentPerson, platform: PlatformDep
) -> Response:
    """Read receipt: everything up to ``seq`` has been read."""
    async with platform.unit_of_work() as tx:
        members = await service.members_if_member(tx.session, me.person.id, conversation_id)
        await service.mark_read(tx, me.person.id, conversation_id, body.seq, member_ids=members)
    return Response(status_code=204)


@router.get("/people", response_model=list[PersonOut], responses=_PEOPLE_PROBLEMS)
async def search_people(
    me: CurrentPerson,
    session: SessionDep,
    query: Annotated[str, Query(min_length=2, max_length=254)],
) -> list[PersonOut]:
    """People to chat with: an exact email address, or display names starting with the
    query; never the caller."""
    found = await service.search_people(session, me.person.id, query)
    return [PersonOut(id=i, display_name=n) for i, n in found]


@router.get("/contacts", response_model=list[PersonOut], responses=_PEOPLE_PROBLEMS)
async def list_contacts(me: CurrentPerson, session: SessionDep) -> list[PersonOut]:
    """The caller's contact list, by name."""
    return [
        PersonOut(id=i, display_name=n)
        for i, n in await service.list_contacts(session, me.person.id)
    ]


@router.post("/contacts", status_code=201, response_model=PersonOut, responses=_PEOPLE_PROBLEMS)
async def add_contact(
    body: ContactRequest, me: CurrentPerson, platform: PlatformDep, tx: TxDep
) -> PersonOut:
    """Add someone to the caller's contacts (adding them again changes nothing)."""
    person_id, name = await service.add_contact(
        tx, me.person.id, body.person_id, now=platform.clock()
    )
    return PersonOut(id=person_id, display_name=name)
