"""The dialogue: from one understood message and the conversation's state to the answer.

In order: a tapped button (``more:``, ``confirm:``, ``cancel:``), cancelling what is
pending, the answer to a pending question (a missing slot, a confirmation), "show more", a
follow-up that re-runs the last data question with new entities ("und bei Amazon?"), and
otherwise the handler of the intent. Data questions need a linked bank; money requests
ask for what is missing before they are repeated.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Final

from bankchat.assistant.handlers import (
    DATA_INTENTS,
    HANDLERS,
    LINK_FOUND_BY_HANDLER,
    MONEY_SLOTS,
    bank_data,
    connections,
    transactions,
)
from bankchat.assistant.handlers.base import DEFAULT_SUGGESTIONS, Reply, Turn, suggestions
from bankchat.assistant.handlers.not_yet import understood_amount
from bankchat.assistant.hints import Hints
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Entities
from bankchat.assistant.state import Pending, ask_slot, remember_question
from bankchat.vault.service import AccessDenied

# Below this confidence an intent is a guess: a follow-up may take its place.
WEAK_CONFIDENCE: Final = 0.5
# A confident intent of another kind while a slot is open changes the topic.
TOPIC_CHANGE_CONFIDENCE: Final = 0.8
# A follow-up is short: a few words after "und"/"and" ("und letzten Monat?"), or hardly
# more than its entities ("im Oktober?").
FOLLOW_UP_MAX_WORDS: Final = 6
ENTITIES_ONLY_WORDS: Final = 3
RECIPIENT_MAX_LENGTH: Final = 70

# Entities a follow-up may change, in groups that replace each other: a new merchant drops
# the old category, a new bank the old account type, and so on. A new amount (or currency)
# brings its own comparator or none; a new direction replaces the old one.
FOLLOW_UP_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    ("period",),
    ("merchant", "category"),
    ("amount", "currency"),
    ("account_type", "bank"),
)
FOLLOW_UP_ENTITIES: Final = frozenset(name for group in FOLLOW_UP_GROUPS for name in group)

_WORDS: Final = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_FOLLOW_UP_START: Final = re.compile(
    r"^\s*(und|and|what about|how about|wie ist es mit|wie sieht es mit|was ist mit|"
    r"und was|und wie|also|auch)\b",
    re.IGNORECASE,
)
CANCEL_WORDS: Final = frozenset(
    {
        "abbrechen",
        "abbruch",
        "stop",
        "stopp",
        "halt",
        "cancel",
        "vergiss es",
        "egal",
        "lass es",
        "lass gut sein",
        "never mind",
        "nevermind",
        "forget it",
        "nein danke",
        "no thanks",
        "no thank you",
        "doch nicht",
    }
)
MORE_WORDS: Final = frozenset(
    {
        "mehr",
        "mehr anzeigen",
        "zeig mehr",
        "zeige mehr",
        "weitere",
        "weiter",
        "nächste",
        "more",
        "show more",
        "next",
        "next page",
        "see more",
    }
)
YES_WORDS: Final = frozenset(
    {"ja", "jaa", "jap", "jo", "klar", "genau", "yes", "yep", "yeah", "sure", "ok", "okay"}
)
# Answers that say nothing about what was asked: they never change the topic.
_SMALL_TALK: Final = frozenset(
    {Intent.AFFIRM, Intent.DENY, Intent.GREET, Intent.THANKS, Intent.HELP, Intent.OUT_OF_SCOPE}
)
_LEADING_RECIPIENT_WORDS: Final = re.compile(r"^\s*(an|to|von|from|für|for|zu)\s+", re.IGNORECASE)


def words_of(text: str) -> list[str]:
    return _WORDS.findall(text.casefold())


def plain(text: str) -> str:
    """The text as a bare phrase: lower case, single spaces, no punctuation."""
    return " ".join(words_of(text))


def is_cancel(text: str) -> bool:
    return plain(text) in CANCEL_WORDS


def is_more(text: str) -> bool:
    return plain(text) in MORE_WORDS


def is_yes(turn: Turn) -> bool:
    return turn.intent is Intent.AFFIRM or plain(turn.text) in YES_WORDS


def is_no(turn: Turn) -> bool:
    return turn.intent is Intent.DENY or is_cancel(turn.text)


def _holds(entities: Entities, name: str) -> bool:
    """Whether ``entities`` hold the entity called ``name`` (a slot's name, say)."""
    return getattr(entities, name, None) is not None


def merge_follow_up(
    previous: tuple[Entities, Hints], new: tuple[Entities, Hints]
) -> tuple[Entities, Hints]:
    """The last question's entities and hints with the new ones in place of their group."""
    (entities, hints), (new_entities, new_hints) = previous, new
    changes: dict[str, Any] = {}
    for group in FOLLOW_UP_GROUPS:
        if any(_holds(new_entities, name) for name in group):
            changes.update({name: getattr(new_entities, name) for name in group})
    comparator = new_hints.comparator if "amount" in changes else hints.comparator
    direction = new_hints.direction or hints.direction
    return replace(entities, **changes), Hints(comparator, direction)


def follow_up_of(turn: Turn, confidence: float) -> tuple[Intent, Entities, Hints] | None:
    """The last data question again with this message's entities, if this is a follow-up.

    It is one if it names something to change and either the model is unsure what it is,
    or it reads like a follow-up (starts with "und", "what about" ..., or is hardly more
    than its entities: "letzten Monat?") and asks nothing else (the same kind of question,
    or small talk the model guessed).
    """
    last = turn.state.last
    if last is None:
        return None
    hints = Hints.read(turn.text, turn.entities)
    changes = any(_holds(turn.entities, name) for name in FOLLOW_UP_ENTITIES)
    if not changes and hints.direction is None:
        return None
    words = len(words_of(turn.text))
    weak = turn.intent is Intent.OUT_OF_SCOPE or confidence < WEAK_CONFIDENCE
    reads_like_one = words <= ENTITIES_ONLY_WORDS or (
        words <= FOLLOW_UP_MAX_WORDS and bool(_FOLLOW_UP_START.match(turn.text))
    )
    asks_nothing_else = turn.intent.value == last.intent or turn.intent in _SMALL_TALK
    if not (weak or (reads_like_one and asks_nothing_else)):
        return None
    entities, hints = merge_follow_up((last.entities, last.hints), (turn.entities, hints))
    return Intent(last.intent), entities, hints


async def respond(turn: Turn, *, payload: str | None = None, confidence: float = 1.0) -> Reply:
    """The answer to one message; ``payload`` is a tapped button's, if any."""
    if payload is not None:
        answered = await _button(turn, payload)
        if answered is not None:
            return answered
    pending = turn.state.pending
    if pending is not None and is_no(turn):
        return _cancelled(turn)
    if pending is not None and pending.kind == "confirm":
        if is_yes(turn):
            return await _confirmed(turn, pending)
        # Anything else: the question is dropped, never answered later by accident.
        turn = replace(turn, state=replace(turn.state, pending=None))
    elif pending is not None and pending.kind == "slot":
        if not _changes_topic(turn, pending, confidence):
            return await _fill_slot(turn, pending)
        turn = replace(turn, state=replace(turn.state, pending=None))
    if turn.state.cursor is not None and is_more(turn.text):
        return await _more(turn, turn.state.cursor.id)
    if is_cancel(turn.text):
        if turn.state.cursor is not None:
            return _cancelled(turn)
        return Reply(turn).say("cancel.nothing").buttons(suggestions(turn, DEFAULT_SUGGESTIONS))
    follow_up = follow_up_of(turn, confidence)
    if follow_up is not None:
        return await _data_question(turn.with_intent(*follow_up))
    return await dispatch(turn)


async def dispatch(turn: Turn) -> Reply:
    """The handler of the turn's intent, after the checks its family needs."""
    if turn.intent in DATA_INTENTS:
        return await _data_question(replace(turn, hints=Hints.read(turn.text, turn.entities)))
    if turn.intent in MONEY_SLOTS:
        return await _money(turn, turn.intent, turn.entities, attempts=0)
    return await HANDLERS[turn.intent](turn)


async def _data_question(turn: Turn) -> Reply:
    if turn.intent not in LINK_FOUND_BY_HANDLER and not await bank_data.has_linked_accounts(turn):
        return await connections.no_bank(turn)
    try:
        reply = await HANDLERS[turn.intent](turn)
    except bank_data.NothingLinked:
        return await connections.no_bank(turn)
    except (AccessDenied, bank_data.NotShared):
        return (
            Reply(turn)
            .say("data.not_shared")
            .buttons([(turn.t("privacy.button"), connections.PRIVACY_PAGE)])
        )
    return reply.keep(
        remember_question(reply.state, turn.intent.value, turn.entities, turn.hints, turn.now)
    )


# -- buttons ----------------------------------------------------------------------------


async def _button(turn: Turn, payload: str) -> Reply | None:
    """The answer to a tapped ``more:``/``confirm:``/``cancel:``/``open:`` button; None
    for ``say:`` (answered as the words it carries) and anything unknown."""
    kind, _, value = payload.partition(":")
    if kind == "more":
        return await _more(turn, value)
    pending = turn.state.pending
    if kind == "confirm":
        if pending is not None and pending.kind == "confirm" and pending.id == value:
            return await _confirmed(turn, pending)
        return Reply(turn).say("confirm.expired")
    if kind == "cancel":
        if pending is not None and pending.id == value:
            return _cancelled(turn)
        return Reply(turn).say("cancel.done")
    if kind == "open":
        # The client navigates; there is nothing to say.
        return Reply(turn)
    return None


async def _more(turn: Turn, cursor_id: str) -> Reply:
    cursor = turn.state.cursor
    if cursor is None or cursor.id != cursor_id:
        return (
            Reply(turn)
            .say("transactions.list_expired")
            .buttons(suggestions(turn, ("transactions",)))
        )
    if not await bank_data.has_linked_accounts(turn):
        return await connections.no_bank(replace(turn, state=replace(turn.state, cursor=None)))
    try:
        listed = replace(turn, entities=cursor.entities, hints=cursor.hints)
        return await transactions.page(listed, offset=cursor.offset)
    except AccessDenied:
        return Reply(turn, replace(turn.state, cursor=None)).say("data.not_shared")


def _cancelled(turn: Turn) -> Reply:
    return Reply(turn, replace(turn.state, pending=None, cursor=None)).say("cancel.done")


async def _confirmed(turn: Turn, pending: Pending) -> Reply:
    if pending.intent == Intent.UNLINK_ACCOUNT.value:
        return await connections.confirmed_unlink(turn, pending)
    # Only unlinking asks for confirmation today; anything else found here is stale.
    return Reply(turn, replace(turn.state, pending=None)).say("confirm.expired")


# -- slots ------------------------------------------------------------------------------


def _changes_topic(turn: Turn, pending: Pending, confidence: float) -> bool:
    """Whether a message while a slot is open asks something else instead of answering."""
    if pending.slot is not None and _holds(turn.entities, pending.slot):
        return False
    if pending.slot == "connection" and turn.entities.bank is not None:
        return False
    return (
        turn.intent.value != pending.intent
        and turn.intent not in _SMALL_TALK
        and confidence >= TOPIC_CHANGE_CONFIDENCE
    )


async def _fill_slot(turn: Turn, pending: Pending) -> Reply:
    if pending.slot == "connection":
        return await connections.fill_connection(turn, pending)
    intent = Intent(pending.intent)
    known = pending.entities
    entities = replace(
        known,
        **{
            name: getattr(turn.entities, name)
            for name in ("amount", "currency", "recipient")
            if not _holds(known, name)
        },
    )
    if pending.slot == "recipient" and entities.recipient is None:
        written = recipient_as_written(turn.text)
        if written:
            entities = replace(entities, recipient=written)
    if pending.slot is not None and _holds(entities, pending.slot):
        return await _money(turn, intent, entities, attempts=0)
    if pending.attempts >= 1:
        return Reply(turn, replace(turn.state, pending=None)).say("money.gave_up")
    return await _money(turn, intent, entities, attempts=pending.attempts + 1)


def recipient_as_written(text: str) -> str | None:
    """A name answered on its own ("Max Müller", "an Anna"), without punctuation around."""
    name = _LEADING_RECIPIENT_WORDS.sub("", text.strip()).strip(" \t\n.,!?;:\"'")
    if not name or len(name) > RECIPIENT_MAX_LENGTH or any(c.isdigit() for c in name):
        return None
    return name


async def _money(turn: Turn, intent: Intent, entities: Entities, *, attempts: int) -> Reply:
    """Ask for the first missing slot of a money request, or repeat it when complete."""
    missing = [slot for slot in MONEY_SLOTS[intent] if not _holds(entities, slot)]
    if not missing:
        done = replace(turn, state=replace(turn.state, pending=None))
        return await HANDLERS[intent](done.with_intent(intent, entities))
    slot = missing[0]
    state = ask_slot(turn.state, intent.value, entities, slot, turn.now, attempts=attempts)
    reply = Reply(turn, state)
    asked = replace(turn, entities=entities)
    again = "_again" if attempts else ""
    if slot == "amount" and entities.recipient is not None:
        return reply.say(f"{intent.value}.ask_amount_of{again}", recipient=entities.recipient)
    if slot == "amount":
        return reply.say(f"{intent.value}.ask_amount{again}")
    return reply.say(f"{intent.value}.ask_recipient{again}", amount=understood_amount(asked))
