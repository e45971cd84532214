"""The intent model: features, training and prediction.

Features are TF-IDF weights of word 1-2-grams and of character 2-5-grams within word
boundaries (``char_wb``, robust to typos and German compounds) of the normalised text;
the classifier is a multinomial logistic regression. One model serves both languages: in a
5-fold cross-validation on the training data it was more accurate than one model per
language (German 0.883 against 0.864, English 0.927 against 0.925 at C=10), and it does
not depend on the language guess for short or mixed utterances.

Training is scikit-learn. Prediction of one utterance does not go through scikit-learn's
``predict_proba``: its per-call input validation costs more than the arithmetic. The
:class:`IntentScorer` computes the same TF-IDF vector and softmax from the fitted
vocabularies, idf weights, coefficients and intercepts (a sparse dot product); a test
checks it against ``predict_proba``.

Out of scope: when the most probable intent's probability is below a threshold, the answer
is ``out_of_scope``. The threshold is chosen on the training data alone, from out-of-fold
probabilities of a stratified cross-validation: of the thresholds on a 0.01 grid that
give the highest out-of-fold accuracy, the median.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import hstack  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bankchat.assistant.nlu.intents import Intent
from bankchat.language import Language

#: Bump when anything here changes what a model built from the same examples predicts
#: (normalisation, features, classifier settings, threshold rule): cached models go stale.
FEATURE_CONFIG_VERSION: Final = 1

#: Inverse regularisation strength, chosen by 5-fold cross-validation on the training data
#: (accuracy 0.906 at C=3, 0.922 at 10, 0.927 at 30 and 100): the start of the plateau.
REGULARISATION_C: Final = 30.0
CV_FOLDS: Final = 5
SEED: Final = 20261123
THRESHOLD_GRID: Final = tuple(step / 100 for step in range(0, 91))

_DIGITS: Final = re.compile(r"\d+")

Probabilities = NDArray[np.float64]


def normalise(text: str) -> str:
    """The form features are taken from: composed Unicode, case-folded, every run of
    digits a single "0" (an amount's digits say nothing about the intent), single spaces."""
    folded = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_DIGITS.sub("0", folded).split())


@dataclass(frozen=True, slots=True)
class TrainingText:
    """What training needs of an example."""

    text: str
    intent: Intent
    language: Language


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Out-of-fold results on the training data with the chosen threshold."""

    folds: int
    threshold: float
    accuracy: float
    accuracy_by_language: dict[Language, float]


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: Intent
    confidence: float


class IntentModel:
    """The fitted vectorizers and classifier with the out-of-scope threshold."""

    def __init__(
        self, word: Any, char: Any, classifier: Any, threshold: float, cv: CrossValidation
    ) -> None:
        self.word_vectorizer = word
        self.char_vectorizer = char
        self.classifier = classifier
        self.threshold = threshold
        self.cross_validation = cv
        self.intents: tuple[Intent, ...] = tuple(Intent(c) for c in classifier.classes_)

    def features(self, texts: Sequence[str]) -> Any:
        """The sparse feature matrix of ``texts`` (raw, normalised here)."""
        normalised = [normalise(text) for text in texts]
        return hstack(
            [self.word_vectorizer.transform(normalised), self.char_vectorizer.transform(normalised)]
        ).tocsr()

    def probabilities_many(self, texts: Sequence[str]) -> Probabilities:
        """scikit-learn's own probabilities, one row per text, columns as :attr:`intents`."""
        result: Probabilities = self.classifier.predict_proba(self.features(texts))
        return result

    def decide(self, probabilities: Probabilities) -> Prediction:
        """The intent for one row of probabilities, ``out_of_scope`` below the threshold."""
        return decide(probabilities, self.intents, self.threshold)


def decide(probabilities: Probabilities, intents: Sequence[Intent], threshold: float) -> Prediction:
    """The most probable intent, or ``out_of_scope`` when its probability is below
    ``threshold``; the confidence is always the model's probability of the answer."""
    best = int(np.argmax(probabilities))
    if probabilities[best] >= threshold:
        return Prediction(intents[best], float(probabilities[best]))
    fallback = Intent.OUT_OF_SCOPE
    confidence = float(probabilities[intents.index(fallback)]) if fallback in intents else 0.0
    return Prediction(fallback, confidence)


class IntentScorer:
    """Single-utterance prediction from a fitted :class:`IntentModel` with plain numpy:
    the same numbers as ``predict_proba`` without its per-call overhead."""

    def __init__(self, model: IntentModel) -> None:
        self.intents = model.intents
        self.threshold = model.threshold
        # Per vectorizer: its analyzer, each term's column in the joint feature vector with
        # its idf weight, and whether term frequencies are sublinear.
        self._blocks: list[tuple[Any, dict[str, tuple[int, float]], bool]] = []
        offset = 0
        for vectorizer in (model.word_vectorizer, model.char_vectorizer):
            idf = [float(weight) for weight in vectorizer.idf_]
            terms = {
                term: (offset + column, idf[column])
                for term, column in vectorizer.vocabulary_.items()
            }
            self._blocks.append((vectorizer.build_analyzer(), terms, vectorizer.sublinear_tf))
            offset += len(terms)
        weights = np.asarray(model.classifier.coef_, dtype=np.float64)
        self._weights: Probabilities = np.ascontiguousarray(weights.T)
        self._intercept: Probabilities = np.asarray(model.classifier.intercept_, np.float64)

    def probabilities(self, text: str) -> Probabilities:
        normalised = normalise(text)
        indices: list[int] = []
        values: list[float] = []
        for analyze, terms, sublinear in self._blocks:
            start = len(values)
            for term, count in Counter(analyze(normalised)).items():
                known = terms.get(term)
                if known is None:
                    continue
                weight = 1.0 + math.log(count) if sublinear else float(count)
                indices.append(known[0])
                values.append(weight * known[1])
            norm = math.sqrt(sum(v * v for v in values[start:]))
            if norm > 0.0:
                for position in range(start, len(values)):
                    values[position] /= norm
        scores = self._intercept + np.asarray(values) @ self._weights[indices]
        return _softmax(scores)

    def predict(self, text: str) -> Prediction:
        return decide(self.probabilities(text), self.intents, self.threshold)


def _softmax(scores: Probabilities) -> Probabilities:
    shifted = np.exp(scores - scores.max())
    result: Probabilities = shifted / shifted.sum()
    return result


def _vectorizers() -> tuple[Any, Any]:
    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        lowercase=False,
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regular expression, not a secret)
        sublinear_tf=True,
        dtype=np.float64,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=False,
        sublinear_tf=True,
        dtype=np.float64,
    )
    return word, char


def _fit(texts: Sequence[str], intents: Sequence[str]) -> tuple[Any, Any, Any]:
    word, char = _vectorizers()
    features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    classifier = LogisticRegression(C=REGULARISATION_C, max_iter=5000, random_state=SEED)
    classifier.fit(features, intents)
    return word, char, classifier


def _out_of_fold(
    texts: list[str], intents: list[str], strata: list[str], classes: list[str], folds: int
) -> Probabilities:
    result: Probabilities = np.zeros((len(texts), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_rows, test_rows in splitter.split(texts, strata):
        word, char, classifier = _fit(
            [texts[i] for i in train_rows], [intents[i] for i in train_rows]
        )
        held = [texts[i] for i in test_rows]
        probabilities = classifier.predict_proba(
            hstack([word.transform(held), char.transform(held)]).tocsr()
        )
        columns = [classes.index(c) for c in classifier.classes_]
        result[np.ix_(test_rows, columns)] = probabilities
    return result


def choose_threshold(
    probabilities: Probabilities, intents: Sequence[Intent], expected: Sequence[Intent]
) -> float:
    """Of :data:`THRESHOLD_GRID`, the median of the thresholds with the best accuracy of
    the rows of ``probabilities`` against ``expected``."""
    accuracies = [
        _accuracy(probabilities, intents, expected, threshold) for threshold in THRESHOLD_GRID
    ]
    best = max(accuracies)
    tied = [t for t, a in zip(THRESHOLD_GRID, accuracies, strict=True) if a == best]
    return float(statistics.median_low(tied))


def _accuracy(
    probabilities: Probabilities,
    intents: Sequence[Intent],
    expected: Sequence[Intent],
    threshold: float,
) -> float:
    hits = sum(
        decide(row, intents, threshold).intent is want
        for row, want in zip(probabilities, expected, strict=True)
    )
    return hits / len(expected)


def train_intent_model(examples: Sequence[TrainingText]) -> IntentModel:
    """Fit the model on ``examples`` and choose its threshold by cross-validation; the
    same examples always give the same model."""
    # One BLAS thread: on a busy machine several threads made training four times slower,
    # and a fixed summation order keeps builds bit-for-bit repeatable.
    with threadpool_limits(limits=1):
        return _train(examples)


def _train(examples: Sequence[TrainingText]) -> IntentModel:
    intents = sorted({example.intent for example in examples})
    if len(intents) < 3:
        raise ValueError("the intent model needs examples of at least three intents")
    texts = [normalise(example.text) for example in examples]
    labels = [example.intent.value for example in examples]
    strata = [f"{example.language}:{example.intent.value}" for example in examples]
    folds = min(CV_FOLDS, min(Counter(strata).values()))
    if folds < 2:
        raise ValueError("every intent needs at least two examples in each language")
    classes = sorted(set(labels))
    out_of_fold = _out_of_fold(texts, labels, strata, classes, folds)
    ordered = [Intent(c) for c in classes]
    expected = [example.intent for example in examples]
    threshold = choose_threshold(out_of_fold, ordered, expected)
    by_language: dict[Language, float] = {}
    for language in sorted({example.language for example in examples}):
        rows = [i for i, example in enumerate(examples) if example.language == language]
        by_language[language] = _accuracy(
            out_of_fold[rows], ordered, [expected[i] for i in rows], threshold
        )
    cv = CrossValidation(
        folds=folds,
        threshold=threshold,
        accuracy=_accuracy(out_of_fold, ordered, expected, threshold),
        accuracy_by_language=by_language,
    )
    word, char, classifier = _fit(texts, labels)
    return IntentModel(word, char, classifier, threshold, cv)
