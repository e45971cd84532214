"""Building the NLU model from the example files, deterministically, and caching it.

The model is never committed: it is built from the examples in the repository. A build
is cached at ``<cache_dir>/nlu/model-<digest>.pickle``; the digest covers the example
files' bytes, the scikit-learn version and :data:`FEATURE_CONFIG_VERSION`, so a change to
any of them names a different file and the old one is stale. A cache file that cannot be
read back as the model of its digest is rebuilt. Files are written to a temporary name and
moved into place (readers never see half a file), owner-only (mode 0600).

Unpickling runs code from the file, so the cache lives in bankchat's data directory, which
is owner-only and already holds the master key: whoever can write there owns the
deployment anyway.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sklearn  # type: ignore[import-untyped]

from bankchat.assistant.nlu.classifier import (
    FEATURE_CONFIG_VERSION,
    IntentModel,
    TrainingText,
    train_intent_model,
)
from bankchat.assistant.nlu.examples import Dataset, load_dataset, read_files
from bankchat.assistant.nlu.intents import Intent
from bankchat.assistant.nlu.language import LanguageDetector
from bankchat.language import Language

log = logging.getLogger(__name__)

CACHE_SUBDIR: Final = "nlu"
_CACHE_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class BuiltModel:
    """Everything parsing needs, and what the build saw."""

    digest: str
    intent_model: IntentModel
    detector: LanguageDetector
    examples_per_intent: dict[Language, dict[Intent, int]]
    train_seconds: float


def model_digest(contents: Mapping[Path, bytes | None]) -> str:
    """sha256 over the example files (by name), the scikit-learn version and the feature
    configuration version."""
    digest = hashlib.sha256()
    for path in sorted(contents, key=lambda p: p.name):
        content = contents[path]
        digest.update(f"{path.name}\0".encode())
        digest.update(b"missing\0" if content is None else f"{len(content)}\0".encode())
        digest.update(content or b"")
    digest.update(f"sklearn={sklearn.__version__}\0".encode())
    digest.update(f"features={FEATURE_CONFIG_VERSION}\0".encode())
    return digest.hexdigest()


def cache_path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / CACHE_SUBDIR / f"model-{digest}.pickle"


def build_model(dataset: Dataset, digest: str) -> BuiltModel:
    """Train the language detector and the intent model on ``dataset.train``."""
    started = time.perf_counter()
    train = dataset.train
    detector = LanguageDetector.train((example.text, example.language) for example in train)
    intent_model = train_intent_model(
        [TrainingText(example.text, example.intent, example.language) for example in train]
    )
    counts: dict[Language, dict[Intent, int]] = {}
    for (language, intent), count in sorted(
        Counter((example.language, example.intent) for example in train).items()
    ):
        counts.setdefault(language, {})[intent] = count
    return BuiltModel(
        digest=digest,
        intent_model=intent_model,
        detector=detector,
        examples_per_intent=counts,
        train_seconds=time.perf_counter() - started,
    )


def load_or_build(
    cache_dir: Path | None, examples_dir: Path, *, rebuild: bool = False
) -> BuiltModel:
    """The model of the examples in ``examples_dir``: from the cache when it holds this
    digest's model (unless ``rebuild``), else built and cached. ``cache_dir`` None: no
    disk cache."""
    contents = read_files(examples_dir)
    digest = model_digest(contents)
    path = None if cache_dir is None else cache_path(cache_dir, digest)
    if path is not None and not rebuild:
        cached = _read_cache(path, digest)
        if cached is not None:
            return cached
    model = build_model(
        load_dataset(examples_dir, contents=contents, heldout_required=False), digest
    )
    if path is not None:
        _write_cache(path, model)
        _remove_stale(path)
    return model


def _read_cache(path: Path, digest: str) -> BuiltModel | None:
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)  # noqa: S301 (our own file in the owner-only data dir)
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged pickle can fail in many ways; all mean rebuild
        log.warning("NLU model cache %s is unreadable (%s); rebuilding", path, error)
        return None
    if (
        isinstance(stored, dict)
        and stored.get("format") == _CACHE_FORMAT
        and stored.get("digest") == digest
        and isinstance(stored.get("model"), BuiltModel)
        and stored["model"].digest == digest
    ):
        model: BuiltModel = stored["model"]
        return model
    log.warning("NLU model cache %s does not hold the model of its digest; rebuilding", path)
    return None


def _write_cache(path: Path, model: BuiltModel) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = {"format": _CACHE_FORMAT, "digest": model.digest, "model": model}
    # mkstemp creates the file with mode 0600.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(payload, file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_stale(current: Path) -> None:
    """Delete the models of other digests: built from examples that no longer exist."""
    for other in current.parent.glob("model-*.pickle"):
        if other != current:
            other.unlink(missing_ok=True)
