"""Which language an utterance is written in: German or English.

Evidence is summed word by word as log-likelihood ratios (positive: German):

* a word the training examples know counts by how much more often one language uses it
  (a word both languages use alike, such as "amazon" or "ok", weighs about nothing);
* frequent function words and umlauts or ß are strong cues even in unseen sentences;
* an unknown word counts through its character n-grams, but only weakly: one odd word
  (a name, a typo) must not decide on its own.

When the total stays within :data:`MARGIN` of zero (very short or ambiguous text such as
"ok", "Amazon?", "50"), the caller's default (the person's preferred language) wins.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from bankchat.language import Language

#: |evidence| below this (in nats: odds of e to 1) is "ambiguous": the default language
#: answers. In a 5-fold cross-validation on the training examples 1.0 left 5.1 % of texts
#: to the default and guessed 2.5 % wrong (mostly mixed German-English lines); 1.5 left
#: 7.3 % to the default for 2.1 % wrong.
MARGIN: Final = 1.0
#: The most one known word may contribute; keeps a single frequent word from outvoting a
#: sentence.
_KNOWN_WORD_CAP: Final = 3.0
#: The most one unknown word may contribute (below MARGIN on purpose).
_UNKNOWN_WORD_CAP: Final = 0.75
_FUNCTION_WORD: Final = 2.5
_UMLAUT: Final = 2.0
_SMOOTHING: Final = 0.5
_NGRAM_SIZES: Final = (1, 2, 3, 4)

_WORD: Final = re.compile(r"[^\W\d_]+")
# Words are lower-cased, not case-folded: folding spells "ß" as "ss" and loses the cue.
_UMLAUTS: Final = frozenset("äöüß")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words frequent in one language and rare or absent in the other; words both languages
# spell alike ("an", "am", "in", "so", "was", "will", "die") are left to the data.
_GERMAN_CUES: Final = _words(
    "ich mein meine meinen meinem meiner mir mich du dein deine ihr und oder aber nicht "
    "kein keine ist sind bin bitte danke wie wer wo wann warum wieviel wieviele der "
    "das dem den des ein eine einen einem auf mit von zu zum zur für fuer bei nach aus "
    "ja nein doch noch schon auch hab habe haben hast kann kannst können möchte "
    "letzten letzte letzter letztes diesen diese dieser dieses seit heute gestern "
    "monat woche jahr konto karte geld überweise überweisung schick schicke zeig zeige "
    "hallo tschüss danke"
)
_ENGLISH_CUES: Final = _words(
    "i my me mine you your the and or but not no yes is are were please thanks "
    "thank how what who where when why which much many did do does can could would "
    "want need of to for from with at on by this that these those last since today "
    "yesterday month week year account card money send show spend spent balance "
    "hello bye"
)
# Spelled the same and used alike in both languages; never evidence.
_NEUTRAL: Final = _words(
    "ok okay hi hey super cool top sorry bank app online euro eur usd paypal amazon "
    "netflix spotify rewe lidl aldi edeka ikea uber apple google"
)


@dataclass(frozen=True, slots=True)
class LanguageDetector:
    """Word and character n-gram log-likelihood ratios (German over English) learned
    from the training examples."""

    word_ratios: dict[str, float]
    ngram_ratios: dict[str, float]

    @classmethod
    def train(cls, examples: Iterable[tuple[str, Language]]) -> LanguageDetector:
        words: dict[Language, Counter[str]] = {"de": Counter(), "en": Counter()}
        ngrams: dict[Language, Counter[str]] = {"de": Counter(), "en": Counter()}
        for text, language in examples:
            for word in _WORD.findall(text.lower()):
                words[language][word] += 1
                ngrams[language].update(_word_ngrams(word))
        return cls(word_ratios=_log_ratios(words), ngram_ratios=_log_ratios(ngrams))

    def evidence(self, text: str) -> float:
        """Summed evidence: positive for German, negative for English."""
        total = 0.0
        for word in _WORD.findall(text.lower()):
            if word in _NEUTRAL:
                continue
            if word in _GERMAN_CUES:
                total += _FUNCTION_WORD
            elif word in _ENGLISH_CUES:
                total -= _FUNCTION_WORD
            elif word in self.word_ratios:
                total += _clip(self.word_ratios[word], _KNOWN_WORD_CAP)
            else:
                total += _clip(self._unknown_word(word), _UNKNOWN_WORD_CAP)
            if not _UMLAUTS.isdisjoint(word):
                total += _UMLAUT
        return total

    def detect(self, text: str, default: Language) -> Language:
        evidence = self.evidence(text)
        if evidence >= MARGIN:
            return "de"
        if evidence <= -MARGIN:
            return "en"
        return default

    def _unknown_word(self, word: str) -> float:
        grams = _word_ngrams(word)
        # The mean, not the sum: a long word is not more certain than a short one.
        return sum(self.ngram_ratios.get(gram, 0.0) for gram in grams) / len(grams)


def _word_ngrams(word: str) -> list[str]:
    padded = f" {word} "
    return [
        padded[start : start + size]
        for size in _NGRAM_SIZES
        for start in range(len(padded) - size + 1)
        if padded[start : start + size].strip()
    ]


def _log_ratios(counts: dict[Language, Counter[str]]) -> dict[str, float]:
    vocabulary = counts["de"].keys() | counts["en"].keys()
    size = len(vocabulary)
    de_total = counts["de"].total() + _SMOOTHING * size
    en_total = counts["en"].total() + _SMOOTHING * size
    return {
        item: math.log((counts["de"][item] + _SMOOTHING) / de_total)
        - math.log((counts["en"][item] + _SMOOTHING) / en_total)
        for item in sorted(vocabulary)
    }


def _clip(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


@lru_cache(maxsize=4)
def _detector_for(directory: Path) -> LanguageDetector:
    from bankchat.assistant.nlu.examples import load_dataset

    train = load_dataset(directory, heldout_required=False).train
    return LanguageDetector.train((example.text, example.language) for example in train)


def detect_language(text: str, default: Language, *, data_dir: Path | None = None) -> Language:
    """The language ``text`` is written in; ``default`` when it is too short or ambiguous
    to tell. Learns from the training examples in ``data_dir`` (default: bankchat's own)
    on first use."""
    from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR

    return _detector_for(data_dir or PACKAGE_DATA_DIR).detect(text, default)
