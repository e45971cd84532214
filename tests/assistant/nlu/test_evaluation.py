"""Evaluation: what is counted, per language and intent, for entities and languages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from bankchat.assistant.nlu.evaluation import HELDOUT_BANKS, Confusion, Tally, evaluate
from bankchat.assistant.nlu.examples import Example
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.result import Entities, Parse
from bankchat.language import Language

TODAY = date(2026, 11, 23)


class ScriptedNlu:
    """Answers what it was told to, so the counting can be checked exactly."""

    def __init__(self, answers: dict[str, tuple[Intent, dict[str, object]]]) -> None:
        self.answers = answers
        self.defaults: list[Language] = []
        self.banks: list[tuple[str, ...]] = []

    def parse_many(
        self,
        texts: Sequence[str],
        *,
        today: date,
        default_language: Language = "en",
        banks: Sequence[str] = (),
    ) -> list[Parse]:
        assert today == TODAY
        self.defaults.append(default_language)
        self.banks.append(tuple(banks))
        parses = []
        for text in texts:
            intent, entities = self.answers[text]
            parses.append(Parse(text, default_language, intent, 0.5, Entities.from_json(entities)))
        return parses

    def detect_language(self, text: str, default: Language) -> Language:
        # "the text tells" only for texts ending in a language tag
        return "de" if text.endswith("[de]") else "en" if text.endswith("[en]") else default


def _example(text: str, intent: Intent, language: Language, **entities: object) -> Example:
    return Example(text, intent, language, Path(f"heldout.{language}.jsonl"), 1, entities)


EXAMPLES = [
    _example("a [de]", Intent.GREET, "de"),
    _example("b", Intent.GREET, "de"),
    _example("c [de]", Intent.SEND_MONEY, "de", amount="5.00", recipient="Anna"),
    _example("d [en]", Intent.THANKS, "en", merchant="REWE"),
]
ANSWERS: dict[str, tuple[Intent, dict[str, object]]] = {
    "a [de]": (Intent.GREET, {}),
    "b": (Intent.GOODBYE, {}),
    "c [de]": (Intent.SEND_MONEY, {"amount": "5.00", "recipient": "anna", "currency": "EUR"}),
    "d [en]": (Intent.THANKS, {"merchant": "REWE"}),
}


@pytest.fixture
def nlu() -> ScriptedNlu:
    return ScriptedNlu(ANSWERS)


def test_intent_accuracy_is_counted_per_language_and_intent(nlu: ScriptedNlu) -> None:
    report = evaluate(nlu, EXAMPLES, TODAY)
    assert report.overall == {"de": Tally(3, 2), "en": Tally(1, 1)}
    assert report.intents["de"] == {Intent.GREET: Tally(2, 1), Intent.SEND_MONEY: Tally(1, 1)}
    assert report.intents["en"] == {Intent.THANKS: Tally(1, 1)}


def test_each_example_is_parsed_with_its_own_language_as_default(nlu: ScriptedNlu) -> None:
    evaluate(nlu, EXAMPLES, TODAY)
    assert nlu.defaults == ["de", "en"]


def test_the_held_out_registry_banks_are_known_unless_others_are_given(
    nlu: ScriptedNlu,
) -> None:
    evaluate(nlu, EXAMPLES, TODAY)
    evaluate(nlu, EXAMPLES, TODAY, banks=["Nordbank"])
    assert nlu.banks == [HELDOUT_BANKS, HELDOUT_BANKS, ("Nordbank",), ("Nordbank",)]


def test_confusions_list_what_was_expected_and_predicted(nlu: ScriptedNlu) -> None:
    report = evaluate(nlu, EXAMPLES, TODAY)
    assert report.confusions == [Confusion("b", "de", Intent.GREET, Intent.GOODBYE, 0.5)]


def test_entities_count_where_expected_or_found_and_must_match_exactly(
    nlu: ScriptedNlu,
) -> None:
    report = evaluate(nlu, EXAMPLES, TODAY)
    assert report.entities["de"] == {
        "amount": Tally(1, 1),
        "currency": Tally(1, 0),  # found but not expected
        "recipient": Tally(1, 0),  # "anna" is not "Anna"
    }
    assert report.entities["en"] == {"merchant": Tally(1, 1)}
    assert report.entities_exact == {"de": Tally(3, 2), "en": Tally(1, 1)}


def test_language_detection_is_judged_with_the_other_language_as_default(
    nlu: ScriptedNlu,
) -> None:
    report = evaluate(nlu, EXAMPLES, TODAY)
    # "b" tells nothing, so the other language (en) answers and it counts as wrong.
    assert report.language_detection == {"de": Tally(3, 2), "en": Tally(1, 1)}


def test_the_json_form_holds_every_figure(nlu: ScriptedNlu) -> None:
    figures = evaluate(nlu, EXAMPLES, TODAY).as_json()
    assert figures["today"] == "2026-11-23"
    assert figures["overall"]["de"] == {"count": 3, "correct": 2, "accuracy": 2 / 3}
    assert figures["intents"]["de"]["greet"]["count"] == 2
    assert figures["entities"]["de"]["currency"]["correct"] == 0
    assert figures["entities_exact"]["en"]["accuracy"] == 1.0
    assert figures["language_detection"]["de"]["correct"] == 2
    assert figures["confusions"] == [
        {
            "text": "b",
            "language": "de",
            "expected": "greet",
            "predicted": "goodbye",
            "confidence": 0.5,
        }
    ]


def test_examples_without_entities_score_no_entities(nlu: ScriptedNlu) -> None:
    bare = [Example("a [de]", Intent.GREET, "de", Path("train.de.jsonl"), 1)]
    report = evaluate(nlu, bare, TODAY)
    assert report.entities == {}
    assert report.entities_exact == {}
    assert report.overall == {"de": Tally(1, 1)}
