"""Language detection: clear texts are recognised whatever the default; short or ambiguous
texts answer the person's default language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bankchat.assistant.nlu.examples import load_dataset
from bankchat.assistant.nlu.language import LanguageDetector, detect_language
from bankchat.language import Language
from tests.assistant.nlu.tiny_examples import write_tiny_examples


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> LanguageDetector:
    directory = write_tiny_examples(tmp_path_factory.mktemp("examples"))
    train = load_dataset(directory).train
    return LanguageDetector.train((example.text, example.language) for example in train)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("wie ist mein kontostand", "de"),
        ("Wieviel Geld hab ich noch?", "de"),
        ("was hab ich bei Amazon ausgegeben", "de"),
        ("what is my balance", "en"),
        ("How much money is left?", "en"),
        ("send 20 euros to Max Müller", "en"),
    ],
)
@pytest.mark.parametrize("default", ["de", "en"])
def test_a_clear_text_is_recognised_whatever_the_default(
    detector: LanguageDetector, text: str, language: Language, default: Language
) -> None:
    assert detector.detect(text, default) == language


@pytest.mark.parametrize("text", ["ok", "Amazon?", "50", "50 €", "", "   ", "?!", "OK."])
@pytest.mark.parametrize("default", ["de", "en"])
def test_a_short_or_ambiguous_text_answers_the_default(
    detector: LanguageDetector, text: str, default: Language
) -> None:
    assert detector.detect(text, default) == default


def test_one_unknown_word_alone_does_not_decide(detector: LanguageDetector) -> None:
    assert detector.detect("Zyxwvut", "en") == "en"
    assert detector.detect("Zyxwvut", "de") == "de"


def test_function_words_decide_unseen_sentences(detector: LanguageDetector) -> None:
    assert detector.detect("und für mich", "en") == "de"
    assert detector.detect("and for me", "de") == "en"


def test_an_umlaut_counts_for_german(detector: LanguageDetector) -> None:
    assert detector.evidence("grüne") > detector.evidence("grune")


def test_sharp_s_counts_for_german_although_case_folding_would_spell_it_ss(
    detector: LanguageDetector,
) -> None:
    assert detector.evidence("STRAẞE") > detector.evidence("strasse")
    assert detector.evidence("straße") > detector.evidence("strasse")


def test_words_both_languages_use_alike_weigh_nothing(detector: LanguageDetector) -> None:
    assert detector.evidence("okay amazon paypal") == 0.0


def test_training_is_deterministic(tmp_path: Path) -> None:
    train = load_dataset(write_tiny_examples(tmp_path)).train
    pairs = [(example.text, example.language) for example in train]
    assert LanguageDetector.train(pairs) == LanguageDetector.train(reversed(pairs))


@pytest.mark.parametrize(
    ("text", "default", "language"),
    [
        ("Kontostand??", "en", "de"),
        ("what did I spend at Amazon last month", "de", "en"),
        ("Schick Max Müller 12,50 € für die Pizza", "en", "de"),
        ("12 bucks to mom", "de", "en"),
        ("ok", "de", "de"),
        ("ok", "en", "en"),
        ("Amazon?", "de", "de"),
        ("50", "en", "en"),
    ],
)
def test_bankchats_own_examples_teach_the_default_detector(
    text: str, default: Language, language: Language
) -> None:
    assert detect_language(text, default) == language
