"""Every rule and every write of the messenger: conversations, sending with sequence
numbers and idempotent client ids, history, read receipts, contacts, people search; and
the bus events through which stored messages reach the gateways.

Sending stores in SQLAlchemy Core (``sending``): the next sequence number is taken under
the conversation's row lock, and ``send_and_commit`` shares its transaction with every
send arriving at the same time (``writer``, group commit). Delivery happens after the
commit (``publish_*``), so a receiver that reads the database finds what it was told about.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bankchat.bus import Bus
from bankchat.errors import DomainError, NotFound
from bankchat.events import MessageStored, ReadReceipt, Typing
from bankchat.identity import service as identity
from bankchat.messaging.models import Contact, Conversation, ConversationMember, Message
from bankchat.messaging.schemas import (
    ASSISTANT_ID,
    BODY_MODELS,
    PEOPLE_KINDS,
    SYSTEM_ID,
    iso_utc,
)
from bankchat.messaging.sending import ConversationUnknown as ConversationUnknown
from bankchat.messaging.sending import Draft, store_drafts
from bankchat.messaging.sending import SendRaced as SendRaced
from bankchat.messaging.sending import Sent as Sent
from bankchat.messaging.wire import MessageWire
from bankchat.messaging.writer import writer_for
from bankchat.uow import Tx

PEOPLE_SEARCH_MIN_LENGTH: Final = 2
PEOPLE_SEARCH_LIMIT: Final = 20
CONVERSATION_LIST_LIMIT: Final = 200
INTERNAL_SENDERS: Final = frozenset({ASSISTANT_ID, SYSTEM_ID})


class PersonUnknown(NotFound):
    code = "PERSON_UNKNOWN"


class InvalidMessage(DomainError):
    status = 422
    code = "INVALID_MESSAGE"


class MessageTooLong(InvalidMessage):
    code = "MESSAGE_TOO_LONG"


class KindNotAllowed(DomainError):
    status = 422
    code = "KIND_NOT_ALLOWED"


class SelfConversation(DomainError):
    status = 422
    code = "SELF_CONVERSATION"


@dataclass(frozen=True)
class ConversationSummary:
    """One line of a person's conversation list."""

    conversation: Conversation
    member_ids: list[str]
    last_read_seq: int
    unread: int
    last_message: Message | None


def pair_key(first: str, second: str) -> str:
    return ":".join(sorted((first, second)))


def new_id() -> str:
    return str(uuid.uuid4())


# -- wire form ------------------------------------------------------------------------


def message_json(message: Message) -> MessageWire:
    """The message as docs/protocol.md shows it; plain dicts, cheap on the send path."""
    return {
        "id": message.id,
        "conversationId": message.conversation_id,
        "seq": message.seq,
        "senderId": message.sender_id,
        "clientId": message.client_id,
        "kind": message.kind,
        "body": message.body,
        "createdAt": iso_utc(message.created_at),
    }


# -- delivery (after the commit) ------------------------------------------------------


def delivery_events(sent: Sent, *, origin: str | None = None) -> list[MessageStored]:
    """One event per member for a newly stored message (none for a duplicate, which was
    delivered the first time).

    ``origin`` names the socket that sent it: it already has the ``ack`` and gets no
    copy. ``assistant`` gets its copy like a person, on ``chat.person.assistant``.
    """
    if sent.duplicate:
        return []
    wire = message_json(sent.message)
    return [
        MessageStored(recipient_id=member_id, message=wire, origin=origin)
        for member_id in sent.member_ids
    ]


def deliver_on_commit(tx: Tx, sent: Sent) -> None:
    """Deliver what was stored in ``tx`` once it commits."""
    for event in delivery_events(sent):
        tx.publish(event)


async def publish_sent(bus: Bus, sent: Sent, *, origin: str | None = None) -> None:
    """Deliver what ``send_and_commit`` stored (it committed on its own)."""
    for event in delivery_events(sent, origin=origin):
        await bus.publish(event)


def read_receipts(
    member_ids: Iterable[str], reader_id: str, conversation_id: str, seq: int
) -> list[ReadReceipt]:
    """The receipt of ``reader_id``'s read mark moving to ``seq``, for the other members."""
    return [
        ReadReceipt(
            recipient_id=member_id, conversation_id=conversation_id, reader_id=reader_id, seq=seq
        )
        for member_id in member_ids
        if member_id != reader_id
    ]


def typing_signals(member_ids: Iterable[str], typist_id: str, conversation_id: str) -> list[Typing]:
    """``typist_id`` is typing, for the other members."""
    return [
        Typing(recipient_id=member_id, conversation_id=conversation_id, typist_id=typist_id)
        for member_id in member_ids
        if member_id != typist_id
    ]


# -- conversations --------------------------------------------------------------------


def _insert_ignoring_conflict(
    session: AsyncSession, table: Table, values: Mapping[str, Any]
) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING``: a concurrent creator wins quietly instead of
    aborting this transaction (which PostgreSQL would not let go on)."""
    dialect = session.get_bind().dialect.name
    construct = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return construct(table).values(dict(values)).on_conflict_do_nothing()


async def _two_party_conversation(
    tx: Tx, kind: str, first: str, second: str, now: datetime
) -> Conversation:
    session = tx.session
    key = pair_key(first, second)
    conversation_id = new_id()
    created = await session.execute(
        _insert_ignoring_conflict(
            session,
            Conversation.__table__,  # type: ignore[arg-type]
            {
                "id": conversation_id,
                "kind": kind,
                "pair_key": key,
                "created_at": now,
                "last_seq": 0,
                "last_message_at": None,
            },
        )
    )
    if created.rowcount == 1:  # type: ignore[attr-defined]
        session.add_all(
            ConversationMember(
                conversation_id=conversation_id, member_id=member, last_read_seq=0, joined_at=now
            )
            for member in (first, second)
        )
        await session.flush()
    conversation = (
        await session.execute(select(Conversation).where(Conversation.pair_key == key))
    ).scalar_one()
    return conversation


async def ensure_assistant_conversation(tx: Tx, person_id: str, *, now: datetime) -> Conversation:
    """The person's conversation with the assistant, created on first need."""
    existing = (
        await tx.session.execute(
            select(Conversation).where(Conversation.pair_key == pair_key(ASSISTANT_ID, person_id))
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    return await _two_party_conversation(tx, "assistant", person_id, ASSISTANT_ID, now)


async def open_direct(tx: Tx, person_id: str, other_id: str, *, now: datetime) -> Conversation:
    """The one direct conversation of two people, created if new."""
    if other_id == person_id:
        raise SelfConversation("A direct conversation needs another person.")
    try:
        await identity.get_person(tx.session, other_id)
    except NotFound as unknown:
        raise PersonUnknown("No such person.") from unknown
    return await _two_party_conversation(tx, "direct", person_id, other_id, now)


async def member_ids(session: AsyncSession, conversation_id: str) -> list[str]:
    result = await session.execute(
        select(ConversationMember.member_id)
        .where(ConversationMember.conversation_id == conversation_id)
        .order_by(ConversationMember.joined_at, ConversationMember.member_id)
    )
    return list(result.scalars())


async def members_if_member(
    session: AsyncSession, person_id: str, conversation_id: str
) -> list[str]:
    """The members of a conversation ``person_id`` belongs to; otherwise refused."""
    members = await member_ids(session, conversation_id)
    if person_id not in members:
        raise ConversationUnknown("No such conversation.")
    return members


async def _membership(
    session: AsyncSession, person_id: str, conversation_id: str
) -> ConversationMember:
    member = await session.get(ConversationMember, (conversation_id, person_id))
    if member is None:
        raise ConversationUnknown("No such conversation.")
    return member


# -- sending --------------------------------------------------------------------------


def validate_body(sender_id: str, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The body in its stored form, after the rules of its kind and its sender."""
    model = BODY_MODELS.get(kind)
    if model is None:
        raise InvalidMessage(f"Unknown message kind {kind!r}.")
    if sender_id not in INTERNAL_SENDERS and kind not in PEOPLE_KINDS:
        raise KindNotAllowed(f"People cannot send {kind} messages.")
    try:
        valid = model.model_validate(body)
    except ValidationError as error:
        if any(e["type"] == "string_too_long" and e["loc"] == ("text",) for e in error.errors()):
            raise MessageTooLong("The text is longer than its kind allows.") from None
        # The errors name places, never the rejected text (it may be private).
        where = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in error.errors()})
        raise InvalidMessage(f"The {kind} body is not valid.", extra={"fields": where}) from None
    return valid.model_dump(mode="json", exclude_unset=False)


async def store_message(
    tx: Tx,
    *,
    conversation_id: str,
    sender_id: str,
    client_id: str,
    kind: str,
    body: Mapping[str, Any],
    now: datetime,
) -> Sent:
    """Store a message with the conversation's next sequence number, once per client id.

    It is delivered to the members once ``tx`` commits. A second send with a stored
    client id stores nothing (and delivers nothing) and returns the first message with
    ``duplicate`` set.
    """
    session = tx.session
    draft = _draft(conversation_id, sender_id, client_id, kind, body, now)
    # Objects the caller added must be in the database before the Core statements run.
    await session.flush()
    try:
        [outcome] = await store_drafts(await session.connection(), [draft])
    except IntegrityError as error:
        # The same client id is being sent at this very moment by another transaction
        # that passed the check first; it holds the message.
        raise SendRaced("This message is being sent already.") from error
    if isinstance(outcome, Exception):
        raise outcome
    if not outcome.duplicate:
        _sync_loaded(session, outcome)
        deliver_on_commit(tx, outcome)
    return outcome


def _draft(
    conversation_id: str,
    sender_id: str,
    client_id: str,
    kind: str,
    body: Mapping[str, Any],
    now: datetime,
) -> Draft:
    return Draft(
        conversation_id, sender_id, client_id, kind, validate_body(sender_id, kind, body), now
    )


def _sync_loaded(session: AsyncSession, sent: Sent) -> None:
    """Bring the conversation and the sender's membership, if the session holds them,
    up to date with what the Core statements wrote (as an ORM update would have)."""
    message = sent.message
    conversation = session.identity_map.get(identity_key(Conversation, message.conversation_id))
    if isinstance(conversation, Conversation):
        set_committed_value(conversation, "last_seq", message.seq)
        set_committed_value(conversation, "last_message_at", message.created_at)
    member = session.identity_map.get(
        identity_key(ConversationMember, (message.conversation_id, message.sender_id))
    )
    if isinstance(member, ConversationMember):
        set_committed_value(member, "last_read_seq", message.seq)


async def send_and_commit(
    sessions: async_sessionmaker[AsyncSession],
    *,
    conversation_id: str,
    sender_id: str,
    client_id: str,
    kind: str,
    body: Mapping[str, Any],
    now: datetime,
) -> Sent:
    """Send in a transaction of the process's group-commit writer (shared with the sends
    that arrive at the same time); a raced resend is answered as the duplicate it is."""
    draft = _draft(conversation_id, sender_id, client_id, kind, body, now)
    return await writer_for(sessions).send(draft)


def _internal_client_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


async def post_from_assistant(
    tx: Tx,
    person_id: str,
    kind: str,
    body: Mapping[str, Any],
    *,
    now: datetime,
    client_id: str | None = None,
) -> Sent:
    """A message from the assistant in the person's assistant conversation.

    Pass a ``client_id`` derived from what caused the message (an alert id, say) to post
    it only once however often the cause is handled. It is delivered once ``tx`` commits.
    """
    conversation = await ensure_assistant_conversation(tx, person_id, now=now)
    return await store_message(
        tx,
        conversation_id=conversation.id,
        sender_id=ASSISTANT_ID,
        client_id=client_id or _internal_client_id("assistant"),
        kind=kind,
        body=body,
        now=now,
    )


async def post_notice(
    tx: Tx,
    person_id: str,
    code: str,
    params: Mapping[str, Any],
    *,
    now: datetime,
    client_id: str | None = None,
) -> Sent:
    """A system notice (rendered per language by the client) in the assistant conversation,
    delivered once ``tx`` commits."""
    conversation = await ensure_assistant_conversation(tx, person_id, now=now)
    return await store_message(
        tx,
        conversation_id=conversation.id,
        sender_id=SYSTEM_ID,
        client_id=client_id or _internal_client_id("system"),
        kind="notice",
        body={"code": code, "params": dict(params)},
        now=now,
    )


# -- reading --------------------------------------------------------------------------


async def history(
    session: AsyncSession,
    person_id: str,
    conversation_id: str,
    before: int | None,
    limit: int,
) -> tuple[list[Message], int | None]:
    """The page of messages before ``before`` (default: the newest), oldest first, and
    the ``before`` of the page preceding it (None at the start)."""
    await _membership(session, person_id, conversation_id)
    query = select(Message).where(Message.conversation_id == conversation_id)
    if before is not None:
        query = query.where(Message.seq < before)
    newest_first = (
        await session.execute(query.order_by(Message.seq.desc()).limit(limit))
    ).scalars()
    page = list(reversed(list(newest_first)))
    # Numbers start at 1 without gaps, so anything above 1 has something before it.
    next_before = page[0].seq if page and page[0].seq > 1 else None
    return page, next_before


async def after(session: AsyncSession, conversation_id: str, seq: int, limit: int) -> list[Message]:
    """Messages after ``seq`` in order (resuming); the caller has checked membership."""
    result = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(result.scalars())


async def last_seq(session: AsyncSession, conversation_id: str) -> int:
    result = await session.execute(
        select(Conversation.last_seq).where(Conversation.id == conversation_id)
    )
    return result.scalar_one_or_none() or 0


async def mark_read(
    tx: Tx, person_id: str, conversation_id: str, seq: int, *, member_ids: Sequence[str]
) -> int | None:
    """Move the person's read mark forward to ``seq`` (at most the newest message) and
    tell the other members (``member_ids``) once the unit of work commits.

    Answers the new mark, or None when it did not move (already read that far).
    """
    session = tx.session
    await _membership(session, person_id, conversation_id)
    upto = min(seq, await last_seq(session, conversation_id))
    moved = await session.execute(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.member_id == person_id,
            ConversationMember.last_read_seq < upto,
        )
        .values(last_read_seq=upto)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return None
    for receipt in read_receipts(member_ids, person_id, conversation_id, upto):
        tx.publish(receipt)
    return upto


async def list_conversations(
    session: AsyncSession, person_id: str, *, only: str | None = None
) -> list[ConversationSummary]:
    """The person's conversations, the most recently active first (``only`` that one)."""
    query = (
        select(Conversation, ConversationMember.last_read_seq)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(ConversationMember.member_id == person_id)
    )
    if only is not None:
        query = query.where(Conversation.id == only)
    rows = (
        await session.execute(
            query.order_by(
                func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
                Conversation.id,
            ).limit(CONVERSATION_LIST_LIMIT)
        )
    ).all()
    if not rows:
        return []
    ids = [conversation.id for conversation, _ in rows]
    members: dict[str, list[str]] = {conversation_id: [] for conversation_id in ids}
    for conversation_id, member_id in await session.execute(
        select(ConversationMember.conversation_id, ConversationMember.member_id)
        .where(ConversationMember.conversation_id.in_(ids))
        .order_by(ConversationMember.joined_at, ConversationMember.member_id)
    ):
        members[conversation_id].append(member_id)
    newest = {
        message.conversation_id: message
        for message in (
            await session.execute(
                select(Message)
                .join(
                    Conversation,
                    and_(
                        Conversation.id == Message.conversation_id,
                        Conversation.last_seq == Message.seq,
                    ),
                )
                .where(Conversation.id.in_(ids))
            )
        ).scalars()
    }
    # The sender's own messages count as read (sending marks them), so what lies after
    # the read mark is what others wrote.
    return [
        ConversationSummary(
            conversation=conversation,
            member_ids=members[conversation.id],
            last_read_seq=last_read,
            unread=max(conversation.last_seq - last_read, 0),
            last_message=newest.get(conversation.id),
        )
        for conversation, last_read in rows
    ]


# -- people and contacts --------------------------------------------------------------


async def display_names(session: AsyncSession, person_ids: Iterable[str]) -> dict[str, str]:
    """Display names of the given people who exist."""
    return await identity.display_names(session, sorted(set(person_ids) - INTERNAL_SENDERS))


async def search_people(session: AsyncSession, person_id: str, query: str) -> list[tuple[str, str]]:
    """People to chat with as (id, display name): the exact email address, or display
    names starting with ``query`` (any case); never the person asking."""
    query = query.strip()
    if len(query) < PEOPLE_SEARCH_MIN_LENGTH:
        return []
    found: dict[str, str] = {}
    if "@" in query:
        by_email = await identity.find_person_by_email(session, query)
        if by_email is not None:
            found[by_email.id] = by_email.display_name
    named = await identity.search_people(
        session, query, exclude=person_id, limit=PEOPLE_SEARCH_LIMIT
    )
    for found_id, name in named:
        found.setdefault(found_id, name)
    found.pop(person_id, None)
    return list(found.items())[:PEOPLE_SEARCH_LIMIT]


async def add_contact(tx: Tx, owner_id: str, contact_id: str, *, now: datetime) -> tuple[str, str]:
    """Keep ``contact_id`` in the owner's list (again: nothing changes); answers
    (id, display name)."""
    if contact_id == owner_id:
        raise SelfConversation("A person is not their own contact.")
    try:
        person = await identity.get_person(tx.session, contact_id)
    except NotFound as unknown:
        raise PersonUnknown("No such person.") from unknown
    await tx.session.execute(
        _insert_ignoring_conflict(
            tx.session,
            Contact.__table__,  # type: ignore[arg-type]
            {"owner_id": owner_id, "contact_id": contact_id, "created_at": now},
        )
    )
    return person.id, person.display_name


async def list_contacts(session: AsyncSession, owner_id: str) -> list[tuple[str, str]]:
    """The owner's contacts who still exist, as (id, display name), by name: one query."""
    contacts = select(Contact.contact_id).where(Contact.owner_id == owner_id)
    return list((await identity.display_names(session, contacts)).items())


async def forget_person(tx: Tx, person_id: str) -> None:
    """Erasure: the person's assistant conversation, contact entries and memberships go;
    a conversation nobody is left in goes with its messages."""
    session = tx.session
    await session.execute(
        delete(Conversation).where(Conversation.pair_key == pair_key(ASSISTANT_ID, person_id))
    )
    await session.execute(
        delete(Contact).where(or_(Contact.owner_id == person_id, Contact.contact_id == person_id))
    )
    conversation_ids = list(
        (
            await session.execute(
                select(ConversationMember.conversation_id).where(
                    ConversationMember.member_id == person_id
                )
            )
        ).scalars()
    )
    await session.execute(
        delete(ConversationMember).where(ConversationMember.member_id == person_id)
    )
    if conversation_ids:
        still_used = select(ConversationMember.conversation_id).where(
            ConversationMember.conversation_id.in_(conversation_ids)
        )
        await session.execute(
            delete(Conversation).where(
                Conversation.id.in_(conversation_ids), Conversation.id.not_in(still_used)
            )
        )


def summary_member_ids(summaries: Sequence[ConversationSummary]) -> set[str]:
    return {member for summary in summaries for member in summary.member_ids}
