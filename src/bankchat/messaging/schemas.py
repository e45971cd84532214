"""Wire shapes of the chat: message bodies per kind, REST bodies, and the frames of the
WebSocket protocol (docs/protocol.md). JSON field names are camelCase."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
)
from pydantic.alias_generators import to_camel

TEXT_MAX_LENGTH: Final = 4000
ASSISTANT_ID: Final = "assistant"
SYSTEM_ID: Final = "system"

MessageKind = Literal["text", "quick_replies", "quick_reply", "card", "notice"]
ConversationKind = Literal["assistant", "direct", "support"]
PEOPLE_KINDS: Final = frozenset({"text", "quick_reply"})

# The platform's ids are UUIDs; anything that cannot be one is refused before a query.
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ClientId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
]
Seq = Annotated[int, Field(ge=0, le=2**31 - 1)]


def iso_utc(moment: datetime) -> str:
    """``2026-11-23T14:02:11.532Z``: the one time format of the chat, REST and socket."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


def _chat_text(value: str) -> str:
    # PostgreSQL cannot store NUL, and lone surrogates cannot be encoded as UTF-8; line
    # breaks and tabs are ordinary in chat.
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\n\t\r"):
            raise ValueError("must not contain control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


ChatText = Annotated[
    str, StringConstraints(min_length=1, max_length=TEXT_MAX_LENGTH), AfterValidator(_chat_text)
]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_chat_text)
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextBody(_Body):
    text: ChatText


class QuickReplyOption(_Body):
    label: ShortText
    payload: ShortText


class QuickRepliesBody(_Body):
    text: ChatText
    replies: list[QuickReplyOption] = Field(min_length=1, max_length=10)


class QuickReplyBody(_Body):
    """A tapped button: its label as text and its payload."""

    text: ShortText
    payload: ShortText


class Card(BaseModel):
    # What a card shows beyond its type is the assistant's business.
    model_config = ConfigDict(extra="allow")

    type: Literal["balance", "transactions", "spending", "confirmation"]


class CardBody(_Body):
    card: Card


class NoticeBody(_Body):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
    params: dict[str, Any] = Field(default_factory=dict)


BODY_MODELS: Final[dict[str, type[BaseModel]]] = {
    "text": TextBody,
    "quick_replies": QuickRepliesBody,
    "quick_reply": QuickReplyBody,
    "card": CardBody,
    "notice": NoticeBody,
}


# -- REST -----------------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, validate_by_name=True)


class _Response(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class OpenDirectRequest(_Request):
    person_id: Id


class SendRequest(_Request):
    client_id: ClientId
    kind: MessageKind
    body: dict[str, Any]


class ReadRequest(_Request):
    seq: Seq


class ContactRequest(_Request):
    person_id: Id


class MessageOut(_Response):
    """``wire.MessageWire`` as the API docs show it; routes fill it from
    ``service.message_json``, never field by field."""

    id: str
    conversation_id: str
    seq: int
    sender_id: str
    client_id: str
    kind: str
    body: dict[str, Any]
    created_at: UtcTime


class MemberOut(_Response):
    id: str
    display_name: str


class ConversationOut(_Response):
    id: str
    kind: str
    title: str
    members: list[MemberOut]
    last_seq: int
    last_read_seq: int
    unread: int
    last_message: MessageOut | None


class HistoryOut(_Response):
    messages: list[MessageOut]
    next_before: int | None = Field(
        description="Pass as `before` for the page before; null at the start."
    )


class PersonOut(_Response):
    id: str
    display_name: str


# -- WebSocket frames, client to server -----------------------------------------------


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, validate_by_name=True)


class ResumeFrame(_Frame):
    type: Literal["resume"]
    conversations: dict[Id, Seq] = Field(max_length=1000)


class SendFrame(_Frame):
    type: Literal["send"]
    conversation_id: Id
    client_id: ClientId
    kind: MessageKind
    body: dict[str, Any]


class ReadFrame(_Frame):
    type: Literal["read"]
    conversation_id: Id
    seq: Seq


class TypingFrame(_Frame):
    type: Literal["typing"]
    conversation_id: Id


class PongFrame(_Frame):
    type: Literal["pong"]


ClientFrame = Annotated[
    ResumeFrame | SendFrame | ReadFrame | TypingFrame | PongFrame, Field(discriminator="type")
]
client_frame: Final = TypeAdapter[ClientFrame](ClientFrame)
