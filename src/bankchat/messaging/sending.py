"""Storing sends in SQLAlchemy Core, many in one transaction: the statements behind
``service.store_message`` and the group-commit writer.

No ORM unit of work on this path: a batch of any size costs one read (the members of
every conversation involved and whatever was stored before under a draft's client id),
one UPDATE handing out the sequence numbers, one INSERT and one UPDATE of the senders'
read marks. Each draft gets its own outcome: a stored message, the message a resend
refers to, or the refusal that concerns only that draft.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bankchat.errors import Conflict, NotFound
from bankchat.messaging.models import Conversation, ConversationMember, Message
from bankchat.messaging.schemas import SYSTEM_ID

CONVERSATIONS: Final = cast(Table, Conversation.__table__)
MEMBERS: Final = cast(Table, ConversationMember.__table__)
MESSAGES: Final = cast(Table, Message.__table__)


class ConversationUnknown(NotFound):
    """Not a conversation, or not one of the caller's: never say which."""

    code = "CONVERSATION_UNKNOWN"


class SendRaced(Conflict):
    """The same client id was sent twice at the same moment; sending again finds the
    first (``send_and_commit`` does so by itself)."""

    code = "SEND_RACED"


class Sent(NamedTuple):
    """A stored (or found again) message and who is to receive it."""

    message: Message
    duplicate: bool
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """A send whose body has passed ``validate_body``, waiting to be stored."""

    conversation_id: str
    sender_id: str
    client_id: str
    kind: str
    body: dict[str, Any]
    now: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a resend a resend."""
        return (self.conversation_id, self.sender_id, self.client_id)


Outcome = Sent | Exception


def unknown_conversation() -> ConversationUnknown:
    return ConversationUnknown("No such conversation.")


# The read of a batch is one UNION ALL: rows of messages stored under the drafts' client
# ids (kind 1) and rows of members (kind 0). The member rows put ``joined_at`` where the
# message rows have ``created_at``, so both share the first branch's column types.
_STORED_ROW: Final = 1
# Statements are built once per batch size and reused: building SQLAlchemy expressions
# for every batch cost more than running them.
_SHAPES_KEPT: Final = 512


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def _read_statement(keys: int) -> Any:
    # OR of exact keys, not a row-value IN: SQLite answers the latter with a table scan
    # and the former with one unique-index lookup per key (PostgreSQL: a bitmap OR).
    earlier = select(
        literal_column(str(_STORED_ROW)).label("row_kind"),
        MESSAGES.c.conversation_id,
        MESSAGES.c.sender_id.label("person_id"),
        MESSAGES.c.client_id,
        MESSAGES.c.seq,
        MESSAGES.c.id,
        MESSAGES.c.kind,
        MESSAGES.c.body,
        MESSAGES.c.created_at.label("at"),
    ).where(
        or_(
            *(
                and_(
                    MESSAGES.c.conversation_id == bindparam(f"k{i}_conversation"),
                    MESSAGES.c.sender_id == bindparam(f"k{i}_sender"),
                    MESSAGES.c.client_id == bindparam(f"k{i}_client"),
                )
                for i in range(keys)
            )
        )
    )
    members = select(
        literal_column("0"),
        MEMBERS.c.conversation_id,
        MEMBERS.c.member_id,
        null(),
        null(),
        null(),
        null(),
        null(),
        MEMBERS.c.joined_at,
    ).where(MEMBERS.c.conversation_id.in_(bindparam("conversations", expanding=True)))
    return union_all(earlier, members)


def _read_parameters(drafts: Sequence[Draft]) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "conversations": sorted({draft.conversation_id for draft in drafts})
    }
    for i, (conversation_id, sender_id, client_id) in enumerate(sorted({d.key for d in drafts})):
        parameters[f"k{i}_conversation"] = conversation_id
        parameters[f"k{i}_sender"] = sender_id
        parameters[f"k{i}_client"] = client_id
    return parameters


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def _numbering_statement(conversations: int) -> Any:
    """Take ``n{i}`` numbers in conversation ``c{i}`` for each i, all in one statement."""
    conversation = CONVERSATIONS.c.id
    count = case(
        *(
            (conversation == bindparam(f"c{i}"), bindparam(f"n{i}", type_=Integer))
            for i in range(conversations)
        )
    )
    newest_at = case(
        *(
            (
                conversation == bindparam(f"c{i}"),
                bindparam(f"at{i}", type_=CONVERSATIONS.c.last_message_at.type),
            )
            for i in range(conversations)
        )
    )
    return (
        update(CONVERSATIONS)
        .where(conversation.in_(bindparam("conversations", expanding=True)))
        .values(last_seq=CONVERSATIONS.c.last_seq + count, last_message_at=newest_at)
        .returning(conversation, CONVERSATIONS.c.last_seq)
    )


_INSERT: Final = insert(MESSAGES)
_READ_MARK: Final = (
    update(MEMBERS)
    .where(
        MEMBERS.c.conversation_id == bindparam("mark_conversation"),
        MEMBERS.c.member_id == bindparam("mark_member"),
    )
    .values(last_read_seq=bindparam("mark_seq"))
)


def _message(
    conversation_id: str,
    seq: int,
    message_id: str,
    sender_id: str,
    client_id: str,
    kind: str,
    body: dict[str, Any],
    created_at: datetime,
) -> Message:
    # Transient: the caller reads it and puts it on the wire; no session tracks it.
    return Message(
        conversation_id=conversation_id,
        seq=seq,
        id=message_id,
        sender_id=sender_id,
        client_id=client_id,
        kind=kind,
        body=body,
        created_at=created_at,
    )


def _read_rows(
    rows: Iterable[Sequence[Any]],
) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, str, str], Message]]:
    joined: dict[str, list[tuple[datetime, str]]] = {}
    earlier: dict[tuple[str, str, str], Message] = {}
    for row in rows:
        row_kind, conversation_id, person_id, client_id, seq, message_id, kind, body, at = row
        if row_kind == _STORED_ROW:
            earlier[(conversation_id, person_id, client_id)] = _message(
                conversation_id, seq, message_id, person_id, client_id, kind, body, at
            )
        else:
            joined.setdefault(conversation_id, []).append((at, person_id))
    members = {
        conversation_id: tuple(member for _, member in sorted(entries))
        for conversation_id, entries in joined.items()
    }
    return members, earlier


async def store_drafts(connection: AsyncConnection, drafts: Sequence[Draft]) -> list[Outcome]:
    """``store_drafts_sync`` on an async connection."""
    return await connection.run_sync(store_drafts_sync, drafts)


def store_drafts_sync(connection: Connection, drafts: Sequence[Draft]) -> list[Outcome]:
    """Store ``drafts`` in the connection's transaction; one outcome per draft, in order.

    Numbers follow the order of ``drafts`` within each conversation. A draft whose client
    id was stored before (or earlier in ``drafts``) is answered with that message as a
    duplicate. The caller commits; an ``IntegrityError`` means another transaction is
    storing one of these client ids at this moment. Synchronous, so that a SQLite batch
    can run whole in one hop to a database thread (``writer``).
    """
    if not drafts:
        return []
    read = connection.execute(
        _read_statement(len({d.key for d in drafts})), _read_parameters(drafts)
    )
    members, earlier = _read_rows(read)
    outcomes: list[Outcome | None] = [None] * len(drafts)
    first_of: dict[tuple[str, str, str], int] = {}
    repeats: list[tuple[int, int]] = []
    fresh: list[int] = []
    for index, draft in enumerate(drafts):
        conversation_members = members.get(draft.conversation_id, ())
        if not conversation_members or (
            draft.sender_id != SYSTEM_ID and draft.sender_id not in conversation_members
        ):
            outcomes[index] = unknown_conversation()
        elif draft.key in earlier:
            outcomes[index] = Sent(earlier[draft.key], True, conversation_members)
        elif draft.key in first_of:
            repeats.append((index, first_of[draft.key]))
        else:
            first_of[draft.key] = index
            fresh.append(index)
    if fresh:
        _store_fresh(connection, drafts, fresh, members, outcomes)
    for index, first in repeats:
        outcome = outcomes[first]
        if isinstance(outcome, Sent):
            outcome = Sent(outcome.message, True, outcome.member_ids)
        outcomes[index] = outcome
    return [outcome if outcome is not None else unknown_conversation() for outcome in outcomes]


def _store_fresh(
    connection: Connection,
    drafts: Sequence[Draft],
    fresh: list[int],
    members: dict[str, tuple[str, ...]],
    outcomes: list[Outcome | None],
) -> None:
    counts = Counter(drafts[index].conversation_id for index in fresh)
    newest_at = {drafts[index].conversation_id: drafts[index].now for index in fresh}
    numbering: dict[str, Any] = {"conversations": sorted(counts)}
    for i, (conversation_id, count) in enumerate(counts.items()):
        numbering[f"c{i}"] = conversation_id
        numbering[f"n{i}"] = count
        numbering[f"at{i}"] = newest_at[conversation_id]
    # One statement takes every conversation's numbers. PostgreSQL holds the rows until
    # commit and SQLite takes its write lock, so numbers follow commit order without gaps.
    numbered = connection.execute(_numbering_statement(len(counts)), numbering)
    next_seq = {cid: last - counts[cid] + 1 for cid, last in numbered.all()}
    rows: list[dict[str, Any]] = []
    read_marks: dict[tuple[str, str], int] = {}
    for index in fresh:
        draft = drafts[index]
        if draft.conversation_id not in next_seq:
            # Deleted (by erasure) between the read and the update.
            outcomes[index] = unknown_conversation()
            continue
        seq = next_seq[draft.conversation_id]
        next_seq[draft.conversation_id] = seq + 1
        message = _message(
            draft.conversation_id,
            seq,
            str(uuid.uuid4()),
            draft.sender_id,
            draft.client_id,
            draft.kind,
            draft.body,
            draft.now,
        )
        rows.append(
            {
                "conversation_id": message.conversation_id,
                "seq": seq,
                "id": message.id,
                "sender_id": message.sender_id,
                "client_id": message.client_id,
                "kind": message.kind,
                "body": message.body,
                "created_at": message.created_at,
            }
        )
        conversation_members = members[draft.conversation_id]
        outcomes[index] = Sent(message, False, conversation_members)
        if draft.sender_id in conversation_members:
            # Writing in a conversation means having read it.
            read_marks[(draft.conversation_id, draft.sender_id)] = seq
    if rows:
        connection.execute(_INSERT, rows)
    if read_marks:
        connection.execute(
            _READ_MARK,
            [
                {"mark_conversation": cid, "mark_member": member, "mark_seq": seq}
                for (cid, member), seq in sorted(read_marks.items())
            ],
        )
