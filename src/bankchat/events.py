"""Every event the platform publishes, as frozen dataclasses: one place to see what
domains tell each other, and on which subject.

Events carry ids, codes and the chat's own wire frames, never bank data: a consumer that
needs details reads them through the vault, for its own purpose. They are registered on
a unit of work (``uow.Tx.publish``) and reach the bus only after its commit, so no
subscriber ever acts on a change that was rolled back.

``to_json`` and ``from_json`` are the one serialisation of an event (for a bus that
crosses processes, and for logs of what was published); the in-process bus hands the
objects over as they are.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Literal

from bankchat.messaging.wire import MessageWire

# The prefix of a person's chat subject: every gateway holding a socket of theirs (and
# the assistant, for ``chat.person.assistant``) listens on it.
CHAT_PERSON_PREFIX = "chat.person."


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened; ``subject`` is where the bus publishes it."""

    # Names the event in its JSON form; each concrete class sets its own.
    kind: ClassVar[str] = ""

    @property
    def subject(self) -> str:
        return self.kind


# -- identity ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonCreated(Event):
    """A person signed up (the assistant chat is made for them)."""

    kind: ClassVar[str] = "identity.person.created"
    person_id: str


# -- banking ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionEvent(Event):
    """Something that happened to one of a person's bank connections."""

    person_id: str
    connection_id: str
    bank_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLinked(ConnectionEvent):
    """A person linked accounts at a bank."""

    kind: ClassVar[str] = "banking.connection.linked"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionEnded(ConnectionEvent):
    """A connection stopped allowing reads: revoked by the person or the bank, or expired."""

    kind: ClassVar[str] = "banking.connection.ended"
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentExpiring(ConnectionEvent):
    """A connection's consent ends within days: the person may want to renew it."""

    kind: ClassVar[str] = "banking.consent.expiring"
    valid_until: date
    days_left: int


SyncReason = Literal["schedule", "webhook", "link"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRequested(Event):
    """A connection should be synced without the person (a worker does it)."""

    kind: ClassVar[str] = "banking.sync.requested"
    connection_id: str
    reason: SyncReason


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncCompleted(Event):
    """A sync committed what it brought; counts only."""

    kind: ClassVar[str] = "banking.sync.completed"
    person_id: str
    connection_id: str
    accounts: tuple[str, ...]
    added: int
    modified: int
    removed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BankNotified(Event):
    """A bank's signed webhook delivery, accepted once; ids and codes only."""

    kind: ClassVar[str] = "bank.notified"
    bank_id: str
    event_id: str
    event_type: str
    account_id: str | None = None
    transaction_id: str | None = None
    card_id: str | None = None
    reason: str | None = None
    created: str | None = None

    @property
    def subject(self) -> str:
        return f"bank.{self.event_type}"


# -- chat delivery (to one person's sockets) -------------------------------------------


def person_subject(person_id: str) -> str:
    return CHAT_PERSON_PREFIX + person_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatEvent(Event):
    """An event for the sockets of one person; ``frame`` is what their socket receives."""

    recipient_id: str

    @property
    def subject(self) -> str:
        return CHAT_PERSON_PREFIX + self.recipient_id

    def frame(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageStored(ChatEvent):
    """A committed chat message; ``origin`` names the socket that sent it (it has its ack
    and gets no copy)."""

    kind: ClassVar[str] = "chat.message"
    message: MessageWire
    origin: str | None = None

    def frame(self) -> dict[str, Any]:
        return {"type": "message", "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadReceipt(ChatEvent):
    """``reader_id`` has read ``conversation_id`` up to ``seq``."""

    kind: ClassVar[str] = "chat.read"
    conversation_id: str
    reader_id: str
    seq: int

    def frame(self) -> dict[str, Any]:
        return {
            "type": "read",
            "conversationId": self.conversation_id,
            "personId": self.reader_id,
            "seq": self.seq,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Typing(ChatEvent):
    """``typist_id`` is typing in ``conversation_id`` (a hint, never stored)."""

    kind: ClassVar[str] = "chat.typing"
    conversation_id: str
    typist_id: str

    def frame(self) -> dict[str, Any]:
        return {
            "type": "typing",
            "conversationId": self.conversation_id,
            "personId": self.typist_id,
        }


# -- one serialisation ------------------------------------------------------------------

EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        PersonCreated,
        ConnectionLinked,
        ConnectionEnded,
        ConsentExpiring,
        SyncRequested,
        SyncCompleted,
        BankNotified,
        MessageStored,
        ReadReceipt,
        Typing,
    )
}


def to_json(event: Event) -> dict[str, Any]:
    """``{"kind": ..., "data": {...}}`` with dates as ISO strings and tuples as lists."""
    data: dict[str, Any] = {}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        data[field.name] = value
    return {"kind": event.kind, "data": data}


def from_json(document: dict[str, Any]) -> Event:
    """The event ``to_json`` wrote; ``KeyError``/``TypeError``/``ValueError`` on anything else."""
    cls = EVENT_TYPES[document["kind"]]
    data = dict(document["data"])
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        if field.type in ("date", date):
            data[field.name] = date.fromisoformat(data[field.name])
        elif isinstance(field.type, str) and field.type.startswith("tuple"):
            data[field.name] = tuple(data[field.name])
    return cls(**data)
