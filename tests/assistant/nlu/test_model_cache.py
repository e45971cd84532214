"""The model cache: one file per digest of the examples, reused, rebuilt when stale or
damaged, written atomically and owner-only."""

from __future__ import annotations

import dataclasses
import pickle
import stat
from pathlib import Path

import numpy as np
import pytest

from bankchat.assistant.nlu import classifier, model_cache
from bankchat.assistant.nlu.examples import load_dataset, read_files
from bankchat.assistant.nlu.model_cache import (
    BuiltModel,
    build_model,
    cache_path,
    load_or_build,
    model_digest,
)
from tests.assistant.nlu.tiny_examples import write_tiny_examples

PROBE = ["wie ist mein kontostand", "lock my card", "tell me a story"]


@pytest.fixture
def examples_dir(tmp_path: Path) -> Path:
    return write_tiny_examples(tmp_path / "examples")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _no_build(*_: object, **__: object) -> BuiltModel:
    raise AssertionError("the model was built although the cache holds it")


def _probabilities(model: BuiltModel) -> np.ndarray:
    return model.intent_model.probabilities_many(PROBE)


def test_the_model_is_cached_under_the_digest_of_its_examples(
    examples_dir: Path, cache_dir: Path
) -> None:
    model = load_or_build(cache_dir, examples_dir)
    assert model.digest == model_digest(read_files(examples_dir))
    path = cache_path(cache_dir, model.digest)
    assert path == cache_dir / "nlu" / f"model-{model.digest}.pickle"
    assert path.is_file()


def test_the_cache_file_is_owner_only(examples_dir: Path, cache_dir: Path) -> None:
    model = load_or_build(cache_dir, examples_dir)
    mode = stat.S_IMODE(cache_path(cache_dir, model.digest).stat().st_mode)
    assert mode == 0o600


def test_a_second_load_reuses_the_cache(
    examples_dir: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_or_build(cache_dir, examples_dir)
    monkeypatch.setattr(model_cache, "build_model", _no_build)
    again = load_or_build(cache_dir, examples_dir)
    assert again.digest == first.digest
    assert np.array_equal(_probabilities(again), _probabilities(first))


def test_without_a_cache_directory_nothing_is_written(tmp_path: Path) -> None:
    examples = write_tiny_examples(tmp_path / "examples")
    load_or_build(None, examples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples"]


def test_rebuild_builds_even_when_the_cache_holds_the_model(
    examples_dir: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_or_build(cache_dir, examples_dir)
    monkeypatch.setattr(model_cache, "build_model", _no_build)
    with pytest.raises(AssertionError, match="was built"):
        load_or_build(cache_dir, examples_dir, rebuild=True)


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle at all", pickle.dumps({"format": 1, "digest": "x", "model": None})],
)
def test_a_damaged_cache_file_is_rebuilt_and_replaced(
    examples_dir: Path, cache_dir: Path, damage: bytes
) -> None:
    model = load_or_build(cache_dir, examples_dir)
    path = cache_path(cache_dir, model.digest)
    path.write_bytes(damage)
    rebuilt = load_or_build(cache_dir, examples_dir)
    assert np.array_equal(_probabilities(rebuilt), _probabilities(model))
    with path.open("rb") as file:
        assert pickle.load(file)["digest"] == model.digest  # noqa: S301 (written by the test)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_cache_file_holding_another_digests_model_is_rebuilt(
    examples_dir: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_or_build(cache_dir, examples_dir)
    path = cache_path(cache_dir, model.digest)
    stored = pickle.loads(path.read_bytes())  # noqa: S301 (written by the test)
    stored["model"] = dataclasses.replace(stored["model"], digest="0" * 64)
    path.write_bytes(pickle.dumps(stored))
    built: list[str] = []
    monkeypatch.setattr(
        model_cache,
        "build_model",
        lambda dataset, digest: built.append(digest) or build_model(dataset, digest),
    )
    assert load_or_build(cache_dir, examples_dir).digest == model.digest
    assert built == [model.digest]


def test_changed_examples_build_a_new_model_and_drop_the_stale_file(
    examples_dir: Path, cache_dir: Path
) -> None:
    old = load_or_build(cache_dir, examples_dir)
    with (examples_dir / "train.en.jsonl").open("a", encoding="utf-8") as file:
        file.write('{"text": "howdy folks", "intent": "greet"}\n')
    new = load_or_build(cache_dir, examples_dir)
    assert new.digest != old.digest
    assert sorted((cache_dir / "nlu").iterdir()) == [cache_path(cache_dir, new.digest)]


def test_the_digest_covers_the_feature_configuration_and_scikit_learn(
    examples_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = read_files(examples_dir)
    digest = model_digest(contents)
    monkeypatch.setattr(
        model_cache, "FEATURE_CONFIG_VERSION", classifier.FEATURE_CONFIG_VERSION + 1
    )
    assert model_digest(contents) != digest
    monkeypatch.undo()
    monkeypatch.setattr(model_cache.sklearn, "__version__", "0.0.0")
    assert model_digest(contents) != digest


def test_the_digest_covers_held_out_files_and_their_absence(examples_dir: Path) -> None:
    digest = model_digest(read_files(examples_dir))
    (examples_dir / "heldout.de.jsonl").unlink()
    assert model_digest(read_files(examples_dir)) != digest


def test_no_temporary_file_is_left_behind(examples_dir: Path, cache_dir: Path) -> None:
    model = load_or_build(cache_dir, examples_dir)
    assert list((cache_dir / "nlu").iterdir()) == [cache_path(cache_dir, model.digest)]


def test_two_builds_are_the_same_model(examples_dir: Path) -> None:
    dataset = load_dataset(examples_dir)
    first = build_model(dataset, "d")
    second = build_model(dataset, "d")
    assert np.array_equal(_probabilities(first), _probabilities(second))
    assert first.detector == second.detector
    assert first.intent_model.threshold == second.intent_model.threshold
