"""The dialogue state of one assistant conversation and its JSON form.

What the assistant remembers between two messages: the language it last answered in, the
last data question (so "and last month?" can re-run it), a pending step (a missing slot to
ask for, or a change to confirm) and where a long list stands. Pending steps and lists
expire, so an old button or a "yes" hours later changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from bankchat.language import LANGUAGES, Language

PENDING_TTL: Final = timedelta(minutes=10)
CONTEXT_TTL: Final = timedelta(minutes=30)
CURSOR_TTL: Final = timedelta(minutes=30)

PendingKind = Literal["slot", "confirm"]


def new_token() -> str:
    """A short random id for a pending step or a list (it travels in button payloads)."""
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True, slots=True)
class Pending:
    """A step waiting for the person: a missing ``slot`` of ``intent``, or a confirmation.

    ``options`` are the choices offered for a slot (e.g. connections as
    {"id": ..., "name": ...}); ``entities`` what is known so far.
    """

    id: str
    kind: PendingKind
    intent: str
    entities: dict[str, Any]
    expires_at: datetime
    slot: str | None = None
    options: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "intent": self.intent,
            "entities": self.entities,
            "expiresAt": self.expires_at.isoformat(),
            "slot": self.slot,
            "options": self.options,
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pending:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            intent=str(data["intent"]),
            entities=dict(data.get("entities") or {}),
            expires_at=datetime.fromisoformat(data["expiresAt"]),
            slot=data.get("slot"),
            options=[dict(o) for o in data.get("options") or []],
            attempts=int(data.get("attempts", 0)),
        )


@dataclass(frozen=True, slots=True)
class LastQuestion:
    """The last data question answered, for follow-ups that change only some entities."""

    intent: str
    entities: dict[str, Any]
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "entities": self.entities,
            "expiresAt": self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LastQuestion:
        return cls(
            intent=str(data["intent"]),
            entities=dict(data.get("entities") or {}),
            expires_at=datetime.fromisoformat(data["expiresAt"]),
        )


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a transaction list stands: its filters and how many rows were shown."""

    id: str
    entities: dict[str, Any]
    offset: int
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entities": self.entities,
            "offset": self.offset,
            "expiresAt": self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        return cls(
            id=str(data["id"]),
            entities=dict(data.get("entities") or {}),
            offset=int(data["offset"]),
            expires_at=datetime.fromisoformat(data["expiresAt"]),
        )


@dataclass(frozen=True, slots=True)
class DialogueState:
    """Everything the assistant keeps about one conversation."""

    language: Language | None = None
    last: LastQuestion | None = None
    pending: Pending | None = None
    cursor: Cursor | None = None

    def current(self, now: datetime) -> DialogueState:
        """This state without the parts that have expired by ``now``."""
        return replace(
            self,
            last=self.last if self.last and self.last.expires_at > now else None,
            pending=self.pending if self.pending and self.pending.expires_at > now else None,
            cursor=self.cursor if self.cursor and self.cursor.expires_at > now else None,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "last": self.last.as_json() if self.last else None,
            "pending": self.pending.as_json() if self.pending else None,
            "cursor": self.cursor.as_json() if self.cursor else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogueState:
        if not data:
            return cls()
        language = data.get("language")
        return cls(
            language=language if language in LANGUAGES else None,
            last=LastQuestion.from_json(data["last"]) if data.get("last") else None,
            pending=Pending.from_json(data["pending"]) if data.get("pending") else None,
            cursor=Cursor.from_json(data["cursor"]) if data.get("cursor") else None,
        )


def remember_question(
    state: DialogueState, intent: str, entities: dict[str, Any], now: datetime
) -> DialogueState:
    return replace(state, last=LastQuestion(intent, dict(entities), now + CONTEXT_TTL))


def ask_slot(
    state: DialogueState,
    intent: str,
    entities: dict[str, Any],
    slot: str,
    now: datetime,
    *,
    options: list[dict[str, str]] | None = None,
    attempts: int = 0,
) -> DialogueState:
    pending = Pending(
        id=new_token(),
        kind="slot",
        intent=intent,
        entities=dict(entities),
        expires_at=now + PENDING_TTL,
        slot=slot,
        options=options or [],
        attempts=attempts,
    )
    return replace(state, pending=pending)


def ask_confirmation(
    state: DialogueState, intent: str, entities: dict[str, Any], now: datetime
) -> tuple[DialogueState, Pending]:
    pending = Pending(
        id=new_token(),
        kind="confirm",
        intent=intent,
        entities=dict(entities),
        expires_at=now + PENDING_TTL,
    )
    return replace(state, pending=pending), pending


def new_cursor(entities: dict[str, Any], offset: int, now: datetime) -> Cursor:
    return Cursor(
        id=new_token(), entities=dict(entities), offset=offset, expires_at=now + CURSOR_TTL
    )
