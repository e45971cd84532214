"""Who money goes to or is asked from, in German and English: the name as written, also lower
case and several words ("Max Müller", "mom", "tom becker").

A name is a run of up to three adjacent words that are none of: function words, verbs of
paying and asking, money words, number words, and words already taken by the amount, the
period or an account, bank or category. Where the name is looked for, in order:

- after "to"/"an" for sending, after "from"/"von" for requesting ("send 20 to Anna",
  "request 30 from Lisa for the tickets", "überweise 50 Euro an anna");
- right after the verb, skipping "back", "please" and a possessive ("send mom 20",
  "pay back Tom Becker 15 bucks", "Schick Max Müller 12,50 €", "ask Lisa for 30");
- before "owes me"/"schuldet mir" ("Tom owes me 20");
- otherwise the first such run before the amount, which covers German word order with the
  verb at the end ("kannst du Papa 10€ schicken", "ich möchte Lisa 30 Euro überweisen").

A possessive in front is dropped ("my mom" -> "mom", "meiner Schwester" -> "Schwester").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bankchat.assistant.nlu.amounts import currency_code, is_number_word
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.text import (
    Token,
    adjacent,
    folded_words,
    overlaps,
    tokenize,
    word_run,
)

_SEND_VERBS: Final = folded_words(
    "send sends sending sent pay pays paying paid transfer transfers wire give venmo zelle "
    "lend loan reimburse refund repay schick schicke schicken schickst sende senden sendet "
    "überweise überweis überweisen überweist zahl zahle zahlen bezahl bezahle bezahlen gib "
    "geben gebe leih leihe erstatte erstatten schulde zurückzahlen zurückschicken rüberschicken"
)
_REQUEST_VERBS: Final = folded_words(
    "request requesting ask remind charge bill invoice collect fordere fordre fordern "
    "anfordern verlange verlangen erinnere erinnern frag frage fragen hol hole holen"
)
_OWES: Final = folded_words("owes owe schuldet schulden")
_TO_WORDS: Final = folded_words("to an")
_FROM_WORDS: Final = folded_words("from von")
# Skipped between the verb and the name ("pay back Tom", "schick bitte Anna").
_PARTICLES: Final = folded_words(
    "back please pls plz quickly now again bitte mal doch schnell kurz eben nochmal jetzt "
    "gleich sofort zurück"
)
# Skipped right before the name and left out of it ("my mom", "an die Oma").
_DETERMINERS: Final = folded_words(
    "the my our your his her their meine meiner meinem meinen mein unsere unserer unserem "
    "unseren unser die der dem den"
)
_STOP: Final = (
    folded_words(
        "i me mine myself you yourself we us he him she it its they them this that these those "
        "a an some any all to from for with at on in of by via and or but so if thanks thank "
        "right away asap also just only too immediately hey hi hello ok okay yes no yeah yep "
        "can could would will should shall must might want wanna need like let lets do does "
        "did is are was be been get got how what when where who why which much many money "
        "payment request transfer amount funds bit few little each each other total "
        "ich mir mich meins du dir dich dein deine er sie es ihm ihr ihnen wir uns ein eine "
        "einen einem einer von vom für fuer mit bei zu zum zur auf aus nach über ueber und oder "
        "aber danke noch auch nur hallo moin servus ja nein kannst könntest kann könnte "
        "würdest würde möchte möchten will willst wollte soll sollst muss musst gerne gern "
        "geld betrag überweisung zahlung anfrage anforderung rückzahlung wie was wer wieviel "
        "viel kohle knete moneten cash etwas paar bisschen jeweils je insgesamt hab habe "
        "owes owe schuldet schulden wegen because weil as als re regarding betreffend damit "
        "euro euros dollar dollars bucks about around over under into onto per without than "
        "until since after before during through um bis seit vor nach ohne dafür davon"
    )
    | _SEND_VERBS
    | _REQUEST_VERBS
    | _PARTICLES
    | _DETERMINERS
)
_MAX_NAME_WORDS: Final = 3


@dataclass(frozen=True, slots=True)
class RecipientMatch:
    """A person's name as written in the utterance and where it stands."""

    name: str
    start: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True, slots=True)
class _Utterance:
    text: str
    tokens: Sequence[Token]
    blocked: Sequence[tuple[int, int]]

    def is_name_word(self, token: Token) -> bool:
        return (
            token.is_alphabetic
            and token.key not in _STOP
            and not is_number_word(token.key)
            and currency_code(token.key) is None
            and not overlaps(token.start, token.end, self.blocked)
        )

    def name_at(self, index: int) -> RecipientMatch | None:
        """The name starting at ``index`` after any possessive, if there is one."""
        while index < len(self.tokens) and self.tokens[index].key in _DETERMINERS:
            index += 1
        end = word_run(self.text, self.tokens, index, _MAX_NAME_WORDS, self.is_name_word)
        return self._match(index, end) if end > index else None

    def name_before(self, index: int) -> RecipientMatch | None:
        """The name ending just before ``index``, if there is one."""
        start = index
        while (
            start > 0
            and index - start < _MAX_NAME_WORDS
            and self.is_name_word(self.tokens[start - 1])
            and (start == index or adjacent(self.text, self.tokens[start - 1], self.tokens[start]))
        ):
            start -= 1
        return self._match(start, index) if start < index else None

    def _match(self, first: int, end: int) -> RecipientMatch:
        start, stop = self.tokens[first].start, self.tokens[end - 1].end
        return RecipientMatch(self.text[start:stop], start, stop)


Anchor = Callable[[_Utterance], RecipientMatch | None]


def _after_words(words: frozenset[str]) -> Anchor:
    def find(utterance: _Utterance) -> RecipientMatch | None:
        for index, token in enumerate(utterance.tokens):
            if token.key in words and not overlaps(token.start, token.end, utterance.blocked):
                name = utterance.name_at(index + 1)
                if name is not None:
                    return name
        return None

    return find


def _after_verb(verbs: frozenset[str]) -> Anchor:
    def find(utterance: _Utterance) -> RecipientMatch | None:
        for index, token in enumerate(utterance.tokens):
            if token.key not in verbs:
                continue
            following = index + 1
            while (
                following < len(utterance.tokens) and utterance.tokens[following].key in _PARTICLES
            ):
                following += 1
            name = utterance.name_at(following)
            if name is not None:
                return name
        return None

    return find


def _before_owes(utterance: _Utterance) -> RecipientMatch | None:
    for index, token in enumerate(utterance.tokens):
        if token.key in _OWES:
            name = utterance.name_before(index)
            if name is not None:
                return name
    return None


def _first_before_amount(amount_start: int | None) -> Anchor:
    def find(utterance: _Utterance) -> RecipientMatch | None:
        for index, token in enumerate(utterance.tokens):
            if amount_start is not None and token.start >= amount_start:
                return None
            name = utterance.name_at(index)
            if name is not None and (amount_start is None or name.end <= amount_start):
                return name
        return None

    return find


# Where the name is looked for, in order (see the module docstring).
_SEND_ANCHORS: Final[tuple[Anchor, ...]] = (_after_words(_TO_WORDS), _after_verb(_SEND_VERBS))
_REQUEST_ANCHORS: Final[tuple[Anchor, ...]] = (
    _after_words(_FROM_WORDS),
    _after_verb(_REQUEST_VERBS | _SEND_VERBS),
    _before_owes,
    _after_words(_TO_WORDS),
)
# Words that say a payment is meant even without an amount.
_PAYMENT_WORDS: Final = _SEND_VERBS | _REQUEST_VERBS | _OWES


def find_recipient(
    text: str,
    intent: Intent = Intent.SEND_MONEY,
    *,
    tokens: Sequence[Token] | None = None,
    blocked: Sequence[tuple[int, int]] = (),
    amount_start: int | None = None,
) -> RecipientMatch | None:
    """The person money goes to (``send_money``) or is asked from (``request_money``).

    ``blocked`` are spans taken by other entities (amount, period, account type, bank,
    category); ``amount_start`` is where the amount begins, if there is one.
    """
    utterance = _Utterance(text, tokenize(text) if tokens is None else tokens, blocked)
    anchors = _REQUEST_ANCHORS if intent is Intent.REQUEST_MONEY else _SEND_ANCHORS
    if amount_start is not None or any(token.key in _PAYMENT_WORDS for token in utterance.tokens):
        anchors = (*anchors, _first_before_amount(amount_start))
    for anchor in anchors:
        found = anchor(utterance)
        if found is not None:
            return found
    return None
