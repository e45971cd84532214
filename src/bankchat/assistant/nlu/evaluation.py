"""How well the NLU understands the held-out examples: intent accuracy per language and
intent, entity accuracy, language detection, and the list of confusions.

Each example is parsed with its own language as the person's default language (people
mostly write in the language they chose). Entities are judged end to end, after the
predicted intent. An entity name counts for an example when the expected or the parsed
entities hold it; it is correct when both hold the same value. Language detection is
judged separately with the *other* language as default, so a guess only counts when the
text itself told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from bankchat.assistant.nlu.examples import Example
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Parse
from bankchat.language import LANGUAGES, Language

#: The date the held-out periods are relative to.
HELDOUT_TODAY = date(2026, 11, 23)
#: The bank registry the held-out examples were written against: the sandbox banks. In the
#: platform these names come from the registry; well-known banks need no list.
HELDOUT_BANKS = ("Lindenbank", "Kranich Bank", "Prairie Lantern Bank", "Bluefin Harbor Bank")


class Understanding(Protocol):
    """What evaluation needs of an NLU (:class:`~bankchat.assistant.nlu.pipeline.Nlu`)."""

    def parse_many(
        self,
        texts: Sequence[str],
        *,
        today: date,
        default_language: Language = "en",
        banks: Sequence[str] = (),
    ) -> list[Parse]: ...

    def detect_language(self, text: str, default: Language) -> Language: ...


@dataclass(slots=True)
class Tally:
    count: int = 0
    correct: int = 0

    def add(self, hit: bool) -> None:
        self.count += 1
        self.correct += hit

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "correct": self.correct, "accuracy": self.accuracy}


@dataclass(frozen=True, slots=True)
class Confusion:
    text: str
    language: Language
    expected: Intent
    predicted: Intent
    confidence: float


@dataclass(slots=True)
class Report:
    """The figures of one evaluation; tallies are keyed by language first."""

    today: date
    intents: dict[Language, dict[Intent, Tally]] = field(default_factory=dict)
    overall: dict[Language, Tally] = field(default_factory=dict)
    entities: dict[Language, dict[str, Tally]] = field(default_factory=dict)
    entities_exact: dict[Language, Tally] = field(default_factory=dict)
    language_detection: dict[Language, Tally] = field(default_factory=dict)
    confusions: list[Confusion] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "overall": {lang: tally.as_json() for lang, tally in self.overall.items()},
            "intents": {
                lang: {intent.value: tally.as_json() for intent, tally in tallies.items()}
                for lang, tallies in self.intents.items()
            },
            "entities": {
                lang: {name: tally.as_json() for name, tally in tallies.items()}
                for lang, tallies in self.entities.items()
            },
            "entities_exact": {lang: t.as_json() for lang, t in self.entities_exact.items()},
            "language_detection": {
                lang: tally.as_json() for lang, tally in self.language_detection.items()
            },
            "confusions": [
                {
                    "text": c.text,
                    "language": c.language,
                    "expected": c.expected.value,
                    "predicted": c.predicted.value,
                    "confidence": round(c.confidence, 4),
                }
                for c in self.confusions
            ],
        }


def evaluate(
    nlu: Understanding,
    examples: Sequence[Example],
    today: date = HELDOUT_TODAY,
    banks: Sequence[str] = HELDOUT_BANKS,
) -> Report:
    """Score ``nlu`` on ``examples`` (held-out ones carry entities; without them only
    intents and languages are scored), with ``today`` and the registry's ``banks``."""
    report = Report(today=today)
    for language in LANGUAGES:
        subset = [example for example in examples if example.language == language]
        if not subset:
            continue
        parses = nlu.parse_many(
            [example.text for example in subset],
            today=today,
            default_language=language,
            banks=banks,
        )
        other: Language = "en" if language == "de" else "de"
        intents: dict[Intent, Tally] = {}
        overall = report.overall.setdefault(language, Tally())
        entities: dict[str, Tally] = {}
        exact = Tally()
        detection = report.language_detection.setdefault(language, Tally())
        for example, parse in zip(subset, parses, strict=True):
            hit = parse.intent is example.intent
            intents.setdefault(example.intent, Tally()).add(hit)
            overall.add(hit)
            if not hit:
                report.confusions.append(
                    Confusion(
                        example.text, language, example.intent, parse.intent, parse.confidence
                    )
                )
            detection.add(nlu.detect_language(example.text, other) == language)
            if example.entities is not None:
                # Compared in the contract's JSON form, as the examples are written.
                expected, found = dict(example.entities), parse.entities.to_json()
                for name in sorted(expected.keys() | found.keys()):
                    entities.setdefault(name, Tally()).add(
                        name in expected and expected.get(name) == found.get(name)
                    )
                exact.add(expected == found)
        report.intents[language] = dict(sorted(intents.items()))
        if exact.count:
            report.entities[language] = dict(sorted(entities.items()))
            report.entities_exact[language] = exact
    return report
