"""Loading the example files: what loads, and every defect named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.examples import (
    ExamplesError,
    duplicate_key,
    entities_problem,
    load_dataset,
    parse_examples,
    read_files,
)
from bankchat.assistant.nlu.intents import Intent
from tests.assistant.nlu.tiny_examples import HELDOUT, TRAIN, write_tiny_examples


@pytest.fixture
def examples_dir(tmp_path: Path) -> Path:
    return write_tiny_examples(tmp_path / "examples")


def _append(path: Path, line: str) -> int:
    """Append ``line`` and return its line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, line]) + "\n", encoding="utf-8")
    return len(lines) + 1


def test_every_example_loads_with_its_language_intent_and_line(examples_dir: Path) -> None:
    dataset = load_dataset(examples_dir)
    trained = sum(len(texts) for language in TRAIN.values() for texts in language.values())
    assert len(dataset.train) == trained
    assert len(dataset.heldout) == sum(len(examples) for examples in HELDOUT.values())
    first = dataset.train[0]
    assert (first.language, first.intent, first.line) == ("de", Intent.GREET, 1)
    assert first.location == f"{examples_dir / 'train.de.jsonl'}:1"
    assert {example.language for example in dataset.heldout} == {"de", "en"}


def test_held_out_examples_keep_their_entities(examples_dir: Path) -> None:
    heldout = load_dataset(examples_dir).heldout
    send = next(e for e in heldout if e.language == "en" and e.intent is Intent.SEND_MONEY)
    assert send.entities == {"amount": "30.00", "currency": "EUR", "recipient": "anna"}


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers(examples_dir: Path) -> None:
    path = examples_dir / "train.en.jsonl"
    path.write_text("\n" + path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    first = next(e for e in load_dataset(examples_dir).train if e.language == "en")
    assert first.line == 2


def test_bad_json_names_file_and_line(examples_dir: Path) -> None:
    path = examples_dir / "train.de.jsonl"
    line = _append(path, '{"text": "hallo", "intent": ')
    with pytest.raises(ExamplesError, match=rf"train\.de\.jsonl:{line}: not valid JSON"):
        load_dataset(examples_dir)


def test_a_line_that_is_not_an_object_is_an_error(examples_dir: Path) -> None:
    line = _append(examples_dir / "train.en.jsonl", '["hello", "greet"]')
    with pytest.raises(ExamplesError, match=rf"train\.en\.jsonl:{line}: expected a JSON object"):
        load_dataset(examples_dir)


def test_unknown_intent_names_file_and_line(examples_dir: Path) -> None:
    path = examples_dir / "train.en.jsonl"
    line = _append(path, json.dumps({"text": "buy bitcoin", "intent": "buy_crypto"}))
    with pytest.raises(
        ExamplesError, match=rf"train\.en\.jsonl:{line}: unknown intent 'buy_crypto'"
    ):
        load_dataset(examples_dir)


def test_missing_field_is_an_error(examples_dir: Path) -> None:
    line = _append(examples_dir / "train.en.jsonl", json.dumps({"text": "hello again"}))
    with pytest.raises(ExamplesError, match=rf":{line}: missing field\(s\) intent"):
        load_dataset(examples_dir)


def test_unexpected_field_is_an_error(examples_dir: Path) -> None:
    record = {"text": "hi folks", "intent": "greet", "entities": {}}
    line = _append(examples_dir / "train.en.jsonl", json.dumps(record))
    with pytest.raises(ExamplesError, match=rf":{line}: unexpected field\(s\) entities"):
        load_dataset(examples_dir)


def test_empty_text_is_an_error(examples_dir: Path) -> None:
    line = _append(examples_dir / "train.de.jsonl", json.dumps({"text": "  ", "intent": "greet"}))
    with pytest.raises(ExamplesError, match=rf":{line}: text must be a non-empty string"):
        load_dataset(examples_dir)


def test_a_text_twice_in_one_file_is_an_error(examples_dir: Path) -> None:
    line = _append(
        examples_dir / "train.de.jsonl", json.dumps({"text": "Hallo!", "intent": "greet"})
    )
    with pytest.raises(
        ExamplesError, match=rf":{line}: duplicate text 'Hallo!' \(also on line 1\)"
    ):
        load_dataset(examples_dir)


def test_a_held_out_text_that_is_also_trained_on_is_an_error(examples_dir: Path) -> None:
    record = {"text": "Kontostand bitte?", "intent": "check_balance", "entities": {}}
    line = _append(examples_dir / "heldout.de.jsonl", json.dumps(record))
    with pytest.raises(
        ExamplesError, match=rf"heldout\.de\.jsonl:{line}: held-out text .* also a training example"
    ):
        load_dataset(examples_dir)


def test_a_held_out_text_trained_on_in_the_other_language_is_an_error(examples_dir: Path) -> None:
    record = {"text": "hello my friend", "intent": "greet", "entities": {}}
    _append(examples_dir / "heldout.de.jsonl", json.dumps(record))
    with pytest.raises(ExamplesError, match=r"train\.en\.jsonl:5"):
        load_dataset(examples_dir)


def test_one_text_with_two_intents_across_training_files_is_an_error(examples_dir: Path) -> None:
    _append(examples_dir / "train.en.jsonl", json.dumps({"text": "hallo", "intent": "goodbye"}))
    with pytest.raises(ExamplesError, match="is goodbye here but greet at"):
        load_dataset(examples_dir)


def test_one_text_with_one_intent_in_both_training_files_is_allowed(examples_dir: Path) -> None:
    _append(examples_dir / "train.en.jsonl", json.dumps({"text": "Hallo", "intent": "greet"}))
    assert len([e for e in load_dataset(examples_dir).train if e.text.lower() == "hallo"]) == 2


@pytest.mark.parametrize(
    "entities",
    [
        {"amount": "12,50"},
        {"amount": 12.5},
        {"currency": "euro"},
        {"category": "food"},
        {"category": ["groceries"]},
        {"account_type": "giro"},
        {"period": {"from": "2026-11-01"}},
        {"period": {"from": "2026-11-30", "to": "2026-11-01"}},
        {"period": {"from": "2026-11-1", "to": "2026-11-30"}},
        {"recipient": " Anna"},
        {"colour": "red"},
    ],
)
def test_held_out_entities_outside_the_contract_are_an_error(
    examples_dir: Path, entities: dict[str, object]
) -> None:
    record = {"text": "something new", "intent": "out_of_scope", "entities": entities}
    line = _append(examples_dir / "heldout.en.jsonl", json.dumps(record))
    with pytest.raises(ExamplesError, match=rf"heldout\.en\.jsonl:{line}: (entity|unknown)"):
        load_dataset(examples_dir)


def test_contract_entities_are_accepted() -> None:
    entities = {
        "amount": "1234.50",
        "currency": "EUR",
        "recipient": "Max Müller",
        "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "merchant": "REWE",
        "category": "groceries",
        "account_type": "credit_card",
        "bank": "Sparkasse",
    }
    assert entities_problem(entities) is None


def test_a_missing_training_file_is_an_error(examples_dir: Path) -> None:
    (examples_dir / "train.en.jsonl").unlink()
    with pytest.raises(ExamplesError, match=r"train\.en\.jsonl: example file is missing"):
        load_dataset(examples_dir)


def test_missing_held_out_files_are_allowed_only_when_not_required(examples_dir: Path) -> None:
    (examples_dir / "heldout.de.jsonl").unlink()
    with pytest.raises(ExamplesError, match=r"heldout\.de\.jsonl: example file is missing"):
        load_dataset(examples_dir)
    dataset = load_dataset(examples_dir, heldout_required=False)
    assert {example.language for example in dataset.heldout} == {"en"}


def test_an_empty_file_is_an_error(examples_dir: Path) -> None:
    (examples_dir / "train.de.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(ExamplesError, match=r"train\.de\.jsonl: holds no examples"):
        load_dataset(examples_dir)


def test_text_that_is_not_utf8_is_an_error(examples_dir: Path) -> None:
    (examples_dir / "train.de.jsonl").write_bytes(b'{"text": "gr\xfc\xdf dich", "intent": "greet"}')
    with pytest.raises(ExamplesError, match=r"train\.de\.jsonl: not UTF-8"):
        load_dataset(examples_dir)


def test_loading_from_contents_read_earlier_ignores_later_edits(examples_dir: Path) -> None:
    contents = read_files(examples_dir)
    (examples_dir / "train.de.jsonl").write_text("not json\n", encoding="utf-8")
    assert load_dataset(examples_dir, contents=contents).train


def test_duplicate_key_ignores_case_spacing_and_surrounding_punctuation() -> None:
    assert duplicate_key("  Kontostand??") == duplicate_key("kontostand")
    assert duplicate_key("Wie  ist mein Kontostand?") == duplicate_key("wie ist mein kontostand")
    assert duplicate_key("send 20 to anna") != duplicate_key("send 30 to anna")


@given(
    st.lists(
        st.tuples(st.text(min_size=1).filter(str.strip), st.sampled_from(list(Intent))),
        min_size=1,
        max_size=8,
        unique_by=lambda pair: duplicate_key(pair[0]),
    )
)
def test_any_well_formed_line_loads_back_as_written(pairs: list[tuple[str, Intent]]) -> None:
    content = "\n".join(
        json.dumps({"text": text, "intent": intent.value}) for text, intent in pairs
    ).encode()
    examples = parse_examples(content, Path("train.en.jsonl"), "en", heldout=False)
    assert [(e.text, e.intent, e.line) for e in examples] == [
        (text, intent, line) for line, (text, intent) in enumerate(pairs, start=1)
    ]


@given(st.binary(max_size=300))
def test_any_content_loads_or_is_an_examples_error(content: bytes) -> None:
    problem = None
    try:
        parse_examples(content, Path("heldout.de.jsonl"), "de", heldout=True)
    except ExamplesError as error:
        problem = str(error)
    assert problem is None or problem.startswith("heldout.de.jsonl")


@given(st.text(max_size=200))
def test_any_json_text_field_loads_or_is_an_examples_error(text: str) -> None:
    line = json.dumps({"text": text, "intent": "greet", "entities": {"recipient": text}})
    try:
        (example,) = parse_examples(line.encode(), Path("heldout.en.jsonl"), "en", heldout=True)
    except ExamplesError:
        return
    assert example.text == text
