"""The dialogue state of one assistant conversation and its JSON form.

What the assistant remembers between two messages: the language it last answered in, the
last data question (so "and last month?" can re-run it), a pending step (a missing slot to
ask for, or a change to confirm) and where a long list stands. Pending steps and lists
expire, so an old button or a "yes" hours later changes nothing.

Entities are kept in the NLU contract's JSON form (``Entities.to_json``), a question's
comparator and direction next to them: the form the state has always had.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from bankchat.assistant.hints import Hints
from bankchat.assistant.nlu.result import Entities
from bankchat.language import LANGUAGES, Language

PENDING_TTL: Final = timedelta(minutes=10)
CONTEXT_TTL: Final = timedelta(minutes=30)
CURSOR_TTL: Final = timedelta(minutes=30)

PendingKind = Literal["slot", "confirm"]


def new_token() -> str:
    """A short random id for a pending step or a list (it travels in button payloads)."""
    return uuid.uuid4().hex[:16]


def _entities_of(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data.get("entities") or {})


def _question_json(entities: Entities, hints: Hints) -> dict[str, Any]:
    """A question's entities with its comparator and direction, as one JSON object."""
    return {**entities.to_json(), **hints.to_json()}


def _question_of(data: dict[str, Any]) -> tuple[Entities, Hints]:
    """The entities and hints ``_question_json`` wrote (under the key ``entities``)."""
    written = _entities_of(data)
    return Entities.from_json(written), Hints.from_json(written)


@dataclass(frozen=True, slots=True)
class Pending:
    """A step waiting for the person: a missing ``slot`` of ``intent``, or a confirmation.

    ``entities`` are what is known so far; ``options`` the choices offered for a slot and
    ``chosen`` the one to confirm (connections as {"id": ..., "name": ..., "bank": ...}).
    """

    id: str
    kind: PendingKind
    intent: str
    entities: Entities
    expires_at: datetime
    slot: str | None = None
    options: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0
    chosen: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "intent": self.intent,
            "entities": self.entities.to_json(),
            "expiresAt": self.expires_at.isoformat(),
            "slot": self.slot,
            "options": self.options,
            "attempts": self.attempts,
            "chosen": self.chosen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pending:
        entities = _entities_of(data)
        chosen = data.get("chosen")
        if chosen is None and "connection" in entities:
            # Written before ``chosen``: the connection to confirm stood with the entities.
            chosen = {"id": entities["connection"], "name": entities.get("name", "")}
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            intent=str(data["intent"]),
            entities=Entities.from_json(entities),
            expires_at=datetime.fromisoformat(data["expiresAt"]),
            slot=data.get("slot"),
            options=[dict(o) for o in data.get("options") or []],
            attempts=int(data.get("attempts", 0)),
            chosen={str(k): str(v) for k, v in chosen.items()} if chosen is not None else None,
        )


@dataclass(frozen=True, slots=True)
class LastQuestion:
    """The last data question answered, for follow-ups that change only some entities."""

    intent: str
    entities: Entities
    hints: Hints
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "entities": _question_json(self.entities, self.hints),
            "expiresAt": self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LastQuestion:
        entities, hints = _question_of(data)
        return cls(str(data["intent"]), entities, hints, datetime.fromisoformat(data["expiresAt"]))


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a transaction list stands: its filters and how many rows were shown."""

    id: str
    entities: Entities
    hints: Hints
    offset: int
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entities": _question_json(self.entities, self.hints),
            "offset": self.offset,
            "expiresAt": self.expires_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cursor:
        entities, hints = _question_of(data)
        return cls(
            id=str(data["id"]),
            entities=entities,
            hints=hints,
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
    state: DialogueState, intent: str, entities: Entities, hints: Hints, now: datetime
) -> DialogueState:
    return replace(state, last=LastQuestion(intent, entities, hints, now + CONTEXT_TTL))


def ask_slot(
    state: DialogueState,
    intent: str,
    entities: Entities,
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
        entities=entities,
        expires_at=now + PENDING_TTL,
        slot=slot,
        options=options or [],
        attempts=attempts,
    )
    return replace(state, pending=pending)


def ask_confirmation(
    state: DialogueState, intent: str, chosen: dict[str, str], now: datetime
) -> tuple[DialogueState, Pending]:
    pending = Pending(
        id=new_token(),
        kind="confirm",
        intent=intent,
        entities=Entities(),
        expires_at=now + PENDING_TTL,
        chosen=dict(chosen),
    )
    return replace(state, pending=pending), pending


def new_cursor(entities: Entities, hints: Hints, offset: int, now: datetime) -> Cursor:
    return Cursor(new_token(), entities, hints, offset, now + CURSOR_TTL)
