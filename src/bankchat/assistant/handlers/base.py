"""What every handler works with: the ``Turn`` (who asks what, in which language, with
which entities, in which dialogue state) and the ``Reply`` it builds (the messages to post
and the state to keep)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from bankchat.assistant.hints import NO_HINTS, Hints
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Entities
from bankchat.assistant.replies import translate, translate_count
from bankchat.assistant.state import DialogueState
from bankchat.language import Language
from bankchat.platform import Platform
from bankchat.uow import Tx

MAX_BUTTONS: Final = 10
BUTTON_LABEL_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class Turn:
    """One message to answer, understood. ``hints`` are read for data questions only.

    ``tx`` is the turn's unit of work: every read and write the answer makes (vault reads
    with their audit entries included) commits with the reply, or not at all."""

    platform: Platform
    tx: Tx
    person_id: str
    language: Language
    now: datetime
    text: str
    intent: Intent
    entities: Entities
    state: DialogueState
    hints: Hints = NO_HINTS

    @property
    def today(self) -> date:
        return self.now.date()

    def t(self, msgid: str, **params: object) -> str:
        return translate(self.language, msgid, **params)

    def tn(self, msgid: str, count: int, **params: object) -> str:
        return translate_count(self.language, msgid, count, **params)

    def with_intent(self, intent: Intent, entities: Entities, hints: Hints = NO_HINTS) -> Turn:
        return replace(self, intent=intent, entities=entities, hints=hints)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message the assistant posts: its kind and body."""

    kind: str
    body: dict[str, Any]


class Reply:
    """The messages of one answer, in order, and the dialogue state after it.

    Buttons attach to the text just before them (one ``quick_replies`` message); after a
    card they come as a ``quick_replies`` message of their own with a short prompt.
    """

    def __init__(self, turn: Turn, state: DialogueState | None = None) -> None:
        self.language: Language = turn.language
        self.state = state if state is not None else turn.state
        self.messages: list[Outgoing] = []

    @classmethod
    def in_language(cls, language: Language, state: DialogueState) -> Reply:
        """A reply made without a turn (when understanding the message failed)."""
        reply = cls.__new__(cls)
        reply.language, reply.state, reply.messages = language, state, []
        return reply

    def say(self, msgid: str, **params: object) -> Reply:
        return self.say_text(translate(self.language, msgid, **params))

    def say_text(self, text: str) -> Reply:
        self.messages.append(Outgoing("text", {"text": text}))
        return self

    def card(self, body: dict[str, Any]) -> Reply:
        self.messages.append(Outgoing("card", body))
        return self

    def buttons(self, options: Sequence[tuple[str, str]], prompt: str | None = None) -> Reply:
        """Quick replies as (label, payload); ``prompt`` is the text shown with them when
        they cannot attach to a text before them."""
        replies = [
            {"label": label[:BUTTON_LABEL_MAX], "payload": payload[:BUTTON_LABEL_MAX]}
            for label, payload in options[:MAX_BUTTONS]
        ]
        if not replies:
            return self
        last = self.messages[-1] if self.messages else None
        if last is not None and last.kind == "text":
            self.messages[-1] = Outgoing(
                "quick_replies", {"text": last.body["text"], "replies": replies}
            )
            return self
        text = prompt or translate(self.language, "buttons.prompt")
        self.messages.append(Outgoing("quick_replies", {"text": text, "replies": replies}))
        return self

    def keep(self, state: DialogueState) -> Reply:
        self.state = state
        return self


Handler = Callable[[Turn], Awaitable[Reply]]


def say_payload(utterance: str) -> str:
    """A button that sends ``utterance`` as if the person had written it."""
    return f"say:{utterance}"


def suggestions(turn: Turn, keys: Sequence[str]) -> list[tuple[str, str]]:
    """Buttons of things to try, from ``suggest.<key>.label`` / ``.say`` in the catalog."""
    return [
        (turn.t(f"suggest.{key}.label"), say_payload(turn.t(f"suggest.{key}.say"))) for key in keys
    ]


DEFAULT_SUGGESTIONS: Final = ("balance", "spending", "transactions", "help")
