"""The intent model: normalisation, deterministic training, the out-of-scope threshold and
the numpy scorer that must give scikit-learn's own probabilities."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.classifier import (
    THRESHOLD_GRID,
    IntentModel,
    IntentScorer,
    TrainingText,
    choose_threshold,
    decide,
    normalise,
    train_intent_model,
)
from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR, load_dataset
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.pipeline import Nlu
from tests.assistant.nlu.tiny_examples import write_tiny_examples

UNSEEN = [
    "hallo!",
    "send 45 euros to Anna Schmidt",
    "kontostand??",
    "KARTE SPERREN SOFORT",
    "a sentence about nothing in particular",
    "xyz",
    "Überweisung an Max Müller, 1.250,00 €",
    "",
]


def _training_texts(directory: Path) -> list[TrainingText]:
    return [
        TrainingText(example.text, example.intent, example.language)
        for example in load_dataset(directory).train
    ]


@pytest.fixture(scope="module")
def tiny_texts(tmp_path_factory: pytest.TempPathFactory) -> list[TrainingText]:
    return _training_texts(write_tiny_examples(tmp_path_factory.mktemp("examples")))


@pytest.fixture(scope="module")
def tiny_model(tiny_texts: list[TrainingText]) -> IntentModel:
    return train_intent_model(tiny_texts)


@pytest.fixture(scope="module")
def real_model(trained_nlu: Nlu) -> IntentModel:
    """bankchat's own model (``trained_nlu``, built once and shared)."""
    return trained_nlu.model.intent_model


def test_normalise_folds_case_digits_and_spacing() -> None:
    assert normalise("  Schick MAX  12,50 €\tbitte ") == "schick max 0,0 € bitte"
    assert normalise("STRAẞE") == "strasse"


@given(st.text(max_size=80))
def test_normalise_is_idempotent_and_keeps_no_digit_runs(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert re.search(r"\d\d", once) is None
    assert once == once.strip()


def test_normalise_composes_unicode() -> None:
    assert normalise("Mu\u0308ller") == normalise("Müller")


def test_two_builds_give_the_same_probabilities_and_threshold(
    tiny_texts: list[TrainingText], tiny_model: IntentModel
) -> None:
    again = train_intent_model(tiny_texts)
    assert again.threshold == tiny_model.threshold
    assert again.cross_validation == tiny_model.cross_validation
    assert np.array_equal(again.probabilities_many(UNSEEN), tiny_model.probabilities_many(UNSEEN))


def test_the_model_learns_the_training_examples(tiny_model: IntentModel) -> None:
    predicted = [
        tiny_model.decide(row).intent
        for row in tiny_model.probabilities_many(["wie ist mein kontostand", "lock my card"])
    ]
    assert predicted == [Intent.CHECK_BALANCE, Intent.LOCK_CARD]


def test_cross_validation_is_reported_per_language(tiny_model: IntentModel) -> None:
    cv = tiny_model.cross_validation
    assert set(cv.accuracy_by_language) == {"de", "en"}
    assert cv.threshold == tiny_model.threshold
    assert cv.threshold in THRESHOLD_GRID
    assert 0.0 < cv.accuracy <= 1.0


def test_the_scorer_gives_scikit_learns_probabilities(tiny_model: IntentModel) -> None:
    scorer = IntentScorer(tiny_model)
    expected = tiny_model.probabilities_many(UNSEEN)
    for text, row in zip(UNSEEN, expected, strict=True):
        assert np.allclose(scorer.probabilities(text), row, rtol=0.0, atol=1e-9), text


def test_the_scorer_handles_text_without_any_known_feature(tiny_model: IntentModel) -> None:
    scorer = IntentScorer(tiny_model)
    probabilities = scorer.probabilities("ʘʘʘ")
    assert np.allclose(probabilities, tiny_model.probabilities_many(["ʘʘʘ"])[0], atol=1e-9)
    assert probabilities.sum() == pytest.approx(1.0)


def test_training_needs_three_intents() -> None:
    texts = [TrainingText(f"hallo {i}", Intent.GREET, "de") for i in range(4)] + [
        TrainingText(f"tschüss {i}", Intent.GOODBYE, "de") for i in range(4)
    ]
    with pytest.raises(ValueError, match="at least three intents"):
        train_intent_model(texts)


def test_training_needs_two_examples_of_each_intent_per_language() -> None:
    texts = [
        TrainingText("hallo", Intent.GREET, "de"),
        TrainingText("tschüss", Intent.GOODBYE, "de"),
        TrainingText("danke", Intent.THANKS, "de"),
    ]
    with pytest.raises(ValueError, match="at least two examples"):
        train_intent_model(texts)


def test_below_the_threshold_the_answer_is_out_of_scope_with_its_probability() -> None:
    intents = (Intent.GREET, Intent.OUT_OF_SCOPE, Intent.THANKS)
    row = np.array([0.45, 0.15, 0.40])
    below = decide(row, intents, 0.5)
    assert (below.intent, below.confidence) == (Intent.OUT_OF_SCOPE, pytest.approx(0.15))
    above = decide(row, intents, 0.4)
    assert (above.intent, above.confidence) == (Intent.GREET, pytest.approx(0.45))


def test_the_threshold_is_the_median_of_the_best_thresholds() -> None:
    intents = (Intent.GREET, Intent.OUT_OF_SCOPE)
    # Row 0 is right up to 0.95; row 1 is right only when rejected, above 0.60.
    probabilities = np.array([[0.95, 0.05], [0.60, 0.40]])
    expected = [Intent.GREET, Intent.OUT_OF_SCOPE]
    threshold = choose_threshold(probabilities, intents, expected)
    tied = [t for t in THRESHOLD_GRID if 0.60 < t <= 0.95]
    assert threshold == tied[(len(tied) - 1) // 2]


def test_the_scorer_matches_scikit_learn_on_the_held_out_texts(real_model: IntentModel) -> None:
    texts = [example.text for example in load_dataset(PACKAGE_DATA_DIR).heldout]
    expected = real_model.probabilities_many(texts)
    scorer = IntentScorer(real_model)
    for text, row in zip(texts, expected, strict=True):
        mine = scorer.probabilities(text)
        assert np.abs(mine - row).max() <= 1e-9, text
        mine_decided, theirs = scorer.predict(text), real_model.decide(row)
        assert mine_decided.intent is theirs.intent, text
        assert abs(mine_decided.confidence - theirs.confidence) <= 1e-9
