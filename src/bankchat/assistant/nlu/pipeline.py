"""The NLU facade: one call from an utterance to its :class:`Parse` (language, intent,
confidence, entities), and :func:`load_nlu`, which gives every caller in a process the same
trained model."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bankchat.assistant.nlu.classifier import IntentScorer, Prediction
from bankchat.assistant.nlu.entities import extract_entities
from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR, read_files
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.model_cache import BuiltModel, load_or_build, model_digest
from bankchat.assistant.nlu.result import Parse
from bankchat.language import Language


class Nlu:
    """Understands utterances with one built model; safe to share between threads."""

    def __init__(self, model: BuiltModel) -> None:
        self.model = model
        self._scorer = IntentScorer(model.intent_model)

    @property
    def threshold(self) -> float:
        """Below this probability of the best intent the answer is ``out_of_scope``."""
        return self.model.intent_model.threshold

    def detect_language(self, text: str, default: Language) -> Language:
        return self.model.detector.detect(text, default)

    def parse(
        self,
        text: str,
        *,
        today: date,
        default_language: Language = "en",
        banks: Sequence[str] = (),
    ) -> Parse:
        """Understand one utterance; ``today`` anchors periods, ``default_language`` (the
        person's preferred one) answers when the text does not tell, ``banks`` are bank
        names to recognise besides the well-known ones.

        The confidence is the model's probability of the answered intent; when the best
        intent stays below :attr:`threshold` the answer is ``out_of_scope`` with the
        model's probability of that. A blank text is ``out_of_scope`` with confidence 1.
        """
        if not text.strip():
            return _nothing_said(text, default_language)
        return self._complete(text, self._scorer.predict(text), today, default_language, banks)

    def parse_many(
        self,
        texts: Sequence[str],
        *,
        today: date,
        default_language: Language = "en",
        banks: Sequence[str] = (),
    ) -> list[Parse]:
        """:meth:`parse` for many utterances, their features computed in one batch."""
        said = [index for index, text in enumerate(texts) if text.strip()]
        model = self.model.intent_model
        predictions: dict[int, Prediction] = {}
        if said:
            rows = model.probabilities_many([texts[index] for index in said])
            predictions = {index: model.decide(row) for index, row in zip(said, rows, strict=True)}
        return [
            self._complete(text, predictions[index], today, default_language, banks)
            if index in predictions
            else _nothing_said(text, default_language)
            for index, text in enumerate(texts)
        ]

    def _complete(
        self,
        text: str,
        prediction: Prediction,
        today: date,
        default_language: Language,
        banks: Sequence[str],
    ) -> Parse:
        language = self.model.detector.detect(text, default_language)
        entities = extract_entities(text, language, prediction.intent, today, banks)
        return Parse(text, language, prediction.intent, prediction.confidence, entities)


def _nothing_said(text: str, language: Language) -> Parse:
    # Certain: there is nothing to act on.
    return Parse(text, language, Intent.OUT_OF_SCOPE, 1.0)


_loaded: dict[str, Nlu] = {}
_loading = threading.Lock()


def load_nlu(cache_dir: Path | None, *, examples_dir: Path = PACKAGE_DATA_DIR) -> Nlu:
    """The NLU built from the examples in ``examples_dir`` (default: bankchat's own),
    cached under ``cache_dir`` (None: no disk cache). Within a process each digest of the
    examples is built or loaded once and shared."""
    digest = model_digest(read_files(examples_dir))
    with _loading:
        nlu = _loaded.get(digest)
        if nlu is None:
            nlu = Nlu(load_or_build(cache_dir, examples_dir))
            _loaded[nlu.model.digest] = nlu
        return nlu
