"""The Nlu facade: contract JSON, entities from the entity extractor, blank lines, batches,
the out-of-scope threshold, and one shared model per process."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bankchat.assistant.nlu import Intent, Nlu, Parse, load_nlu, pipeline
from bankchat.assistant.nlu.entities import extract_entities
from bankchat.assistant.nlu.evaluation import HELDOUT_TODAY, evaluate
from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR, load_dataset
from bankchat.assistant.nlu.model_cache import cache_path, load_or_build
from bankchat.assistant.nlu.result import Entities
from bankchat.language import Language
from tests.assistant.nlu.tiny_examples import write_tiny_examples

TODAY = date(2026, 11, 23)
TEXTS = [
    "wie ist mein kontostand",
    "send anna 30 euros",
    "",
    "Überweise 12,50 € an Max Müller",
    "   ",
    "lock my card please",
]


@pytest.fixture(scope="module")
def examples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_examples(tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def nlu(examples_dir: Path) -> Nlu:
    return Nlu(load_or_build(None, examples_dir))


def test_parse_gives_the_contracts_json_line(nlu: Nlu) -> None:
    line = nlu.parse("send anna 30 euros", today=TODAY).as_json()
    assert list(line) == ["text", "language", "intent", "confidence", "entities"]
    assert line["text"] == "send anna 30 euros"
    assert line["language"] == "en"
    assert line["intent"] == "send_money"
    assert isinstance(line["confidence"], float)
    assert 0.0 < line["confidence"] <= 1.0
    assert json.loads(json.dumps(line)) == line


def test_entities_are_the_entity_extractors(nlu: Nlu) -> None:
    for text in ("send anna 30 euros", "Überweise 12,50 € an Max Müller"):
        parse = nlu.parse(text, today=TODAY)
        assert parse.entities == extract_entities(text, parse.language, parse.intent, TODAY, ())


def test_today_and_banks_reach_the_entity_extractor(
    nlu: Nlu, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []

    def recording(*args: Any) -> Entities:
        calls.append(args)
        return Entities(bank="Lindenbank")

    monkeypatch.setattr(pipeline, "extract_entities", recording)
    parse = nlu.parse("kontostand bei der lindenbank", today=TODAY, banks=["Lindenbank"])
    assert calls == [("kontostand bei der lindenbank", "de", parse.intent, TODAY, ["Lindenbank"])]
    assert parse.entities == Entities(bank="Lindenbank")


@pytest.mark.parametrize("text", ["", "   ", "\t"])
@pytest.mark.parametrize("default", ["de", "en"])
def test_a_blank_text_is_out_of_scope_without_entities(
    nlu: Nlu, text: str, default: Language
) -> None:
    parse = nlu.parse(text, today=TODAY, default_language=default)
    assert parse == Parse(text, default, Intent.OUT_OF_SCOPE, 1.0, Entities())


def test_the_language_is_detected_whatever_the_default(nlu: Nlu) -> None:
    assert nlu.parse("wie ist mein kontostand", today=TODAY).language == "de"
    assert nlu.parse("what is my balance", today=TODAY, default_language="de").language == "en"


def test_an_ambiguous_text_takes_the_default_language(nlu: Nlu) -> None:
    assert nlu.parse("ok", today=TODAY, default_language="de").language == "de"
    assert nlu.parse("ok", today=TODAY, default_language="en").language == "en"


def test_parse_many_gives_what_parse_gives_in_order(nlu: Nlu) -> None:
    many = nlu.parse_many(TEXTS, today=TODAY, default_language="de")
    single = [nlu.parse(text, today=TODAY, default_language="de") for text in TEXTS]
    assert [p.text for p in many] == TEXTS
    for batch, one in zip(many, single, strict=True):
        assert (batch.language, batch.intent, batch.entities) == (
            one.language,
            one.intent,
            one.entities,
        )
        assert batch.confidence == pytest.approx(one.confidence, abs=1e-9)


def test_parse_many_of_nothing_is_nothing(nlu: Nlu) -> None:
    assert nlu.parse_many([], today=TODAY) == []


def test_below_the_threshold_the_answer_is_out_of_scope(examples_dir: Path) -> None:
    model = load_or_build(None, examples_dir)
    model.intent_model.threshold = 1.01  # no probability reaches it
    cautious = Nlu(model)
    single = cautious.parse("send anna 30 euros", today=TODAY)
    (batch,) = cautious.parse_many(["send anna 30 euros"], today=TODAY)
    assert single.intent is batch.intent is Intent.OUT_OF_SCOPE
    assert single.confidence < 1.0


def test_load_nlu_shares_one_model_per_digest(examples_dir: Path, tmp_path: Path) -> None:
    first = load_nlu(tmp_path / "a", examples_dir=examples_dir)
    assert load_nlu(tmp_path / "b", examples_dir=examples_dir) is first
    assert load_nlu(None, examples_dir=examples_dir) is first


def test_load_nlu_caches_the_model_in_the_cache_directory(tmp_path: Path) -> None:
    examples = write_tiny_examples(tmp_path / "examples")
    with (examples / "train.en.jsonl").open("a", encoding="utf-8") as file:
        file.write('{"text": "greetings, machine", "intent": "greet"}\n')  # a digest of its own
    nlu = load_nlu(tmp_path / "data", examples_dir=examples)
    assert cache_path(tmp_path / "data", nlu.model.digest).is_file()


@pytest.mark.parametrize("language", ["de", "en"])
def test_held_out_intent_accuracy_reaches_the_issue_target(
    language: Language, trained_nlu: Nlu
) -> None:
    """Issue 5: at least 0.95 in each language on the held-out examples."""
    nlu = trained_nlu
    heldout = [e for e in load_dataset(PACKAGE_DATA_DIR).heldout if e.language == language]
    report = evaluate(nlu, heldout, HELDOUT_TODAY)
    assert report.overall[language].count == len(heldout)
    assert report.overall[language].accuracy >= 0.95
