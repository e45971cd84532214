"""Text helpers shared by the NLU: folding for matching and tokens that remember where they
stand in the utterance.

Two foldings serve two purposes:

- ``shadow(text)`` keeps every character in its place (same length as ``text``), so a regular
  expression run on the shadow yields spans that cut the original as written. It lower-cases,
  turns umlauts into their base vowel ("ä" -> "a"), "ß" into "s", drops accents and unifies
  apostrophes, dashes and unusual spaces. Patterns written for the shadow therefore spell an
  umlaut as ``ae?`` and "ß" as ``s?s``, which accepts "März", "Maerz" and "Marz" alike.
- ``fold(word)`` gives the lookup key of a word or phrase: case-folded, umlauts as "ae", "oe",
  "ue", "ß" as "ss", accents and apostrophes removed, so "Einkäufe", "Einkaeufe" and
  "EINKÄUFE" share one key. ``fold_variants`` adds the spelling with bare vowels ("Einkaufe"),
  the usual typing slip, for building lexicons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, NamedTuple

_SHADOW_TABLE: Final[dict[int, str]] = str.maketrans(
    {
        "ä": "a",
        "ö": "o",
        "ü": "u",
        "ß": "s",
        "ẞ": "s",
        "à": "a",
        "á": "a",
        "â": "a",
        "ã": "a",
        "å": "a",
        "ç": "c",
        "è": "e",
        "é": "e",
        "ê": "e",
        "ë": "e",
        "ì": "i",
        "í": "i",
        "î": "i",
        "ï": "i",
        "ñ": "n",
        "ò": "o",
        "ó": "o",
        "ô": "o",
        "õ": "o",
        "ù": "u",
        "ú": "u",
        "û": "u",
        "ý": "y",
        "ÿ": "y",
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\t": " ",
        "\n": " ",
        "\r": " ",
    }
)

_KEY_TABLE: Final[dict[int, str | None]] = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "'": None, "’": None, "`": None, "´": None, "‘": None}
)
_BARE_VOWELS: Final[dict[int, str]] = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})

# A word: letters or digits, possibly joined by an apostrophe, ampersand, dot, plus or hyphen
# ("McDonald's", "H&M", "Booking.com", "Anna-Lena"), with an optional trailing plus
# ("Disney+"). Single currency, percent and ampersand signs are tokens of their own.
_TOKEN_RE: Final = re.compile(r"[^\W_]+(?:['’`´&.+\-][^\W_]+)*\+?|[€$£¥%&]")
_SPACES_RE: Final = re.compile(r"\s+")
_DIGIT_RE: Final = re.compile(r"\d")


def shadow(text: str) -> str:
    """Return a same-length, lower-case, umlaut- and accent-free copy of ``text``."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few letters ("İ") grow when lower-cased; keep one character per character.
        lowered = "".join(character.lower()[0] for character in text)
    return lowered.translate(_SHADOW_TABLE)


def fold(text: str) -> str:
    """Return the lookup key of a word or phrase (case-, umlaut- and accent-insensitive)."""
    key = text.casefold().translate(_KEY_TABLE)
    if not key.isascii():
        key = "".join(
            character
            for character in unicodedata.normalize("NFKD", key)
            if not unicodedata.combining(character)
        )
    if key.isalnum():  # a plain word, the common case: nothing to tidy
        return key
    return _SPACES_RE.sub(" ", key).strip()


def fold_variants(text: str) -> frozenset[str]:
    """Return the lookup keys a lexicon entry should answer to: the proper spelling and the
    spelling with bare vowels for umlauts ("Maerz" and "Marz" for "März")."""
    lowered = text.casefold()
    return frozenset({fold(lowered), fold(lowered.translate(_BARE_VOWELS))})


def folded_words(words: str) -> frozenset[str]:
    """The lookup keys of blank-separated words, for writing word lists compactly."""
    return frozenset(fold(word) for word in words.split())


def shadow_words(words: str) -> frozenset[str]:
    """Blank-separated words as the shadow spells them, for lists compared with shadow text."""
    return frozenset(shadow(words).split())


def compact(key: str) -> str:
    """Drop spaces and hyphens from a folded key, so "media markt", "media-markt" and
    "mediamarkt" meet."""
    return key.replace(" ", "").replace("-", "")


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words`` (literally), written as a trie so the regex engine
    compares each character once instead of trying every word in turn. Longer words win over
    their prefixes ("september" before "sep")."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})
        node[""] = {}
    return _trie_node(trie)


def _trie_node(node: dict[str, Any]) -> str:
    ends_here = "" in node
    branches = [
        re.escape(character) + _trie_node(child)
        for character, child in sorted(node.items())
        if character
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        return body + "?" if len(branches) == 1 and len(body) == 1 else f"(?:{body})?"
    return body


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a digit (most utterances hold none, which spares the number
    patterns)."""
    return _DIGIT_RE.search(text) is not None


class Token(NamedTuple):
    """A word of the utterance: as written, its lookup key and where it stands. (A named
    tuple: utterances are split into many of them and tuples are the cheapest to make.)"""

    text: str
    key: str
    start: int
    end: int

    @property
    def is_capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def is_alphabetic(self) -> bool:
        return any(character.isalpha() for character in self.text) and not any(
            character.isdigit() for character in self.text
        )


def tokenize(text: str) -> tuple[Token, ...]:
    """Split ``text`` into words, keeping their spans."""
    return tuple(
        Token(match.group(), fold(match.group()), match.start(), match.end())
        for match in _TOKEN_RE.finditer(text)
    )


def overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """Whether ``start``..``end`` overlaps any of ``spans``."""
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def adjacent(text: str, left: Token, right: Token) -> bool:
    """Whether only blanks stand between two tokens: punctuation ends a name."""
    return not text[left.end : right.start].strip()


def word_run(
    text: str, tokens: Sequence[Token], first: int, limit: int, accepts: Callable[[Token], bool]
) -> int:
    """Where the run of at most ``limit`` adjacent tokens from ``first`` that ``accepts``
    takes ends (``first`` when it takes none): the words of a name."""
    end = first
    while (
        end < len(tokens)
        and end - first < limit
        and (end == first or adjacent(text, tokens[end - 1], tokens[end]))
        and accepts(tokens[end])
    ):
        end += 1
    return end
