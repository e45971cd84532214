"""Loading the NLU's example files strictly.

The training files (``train.<lang>.jsonl``: ``{"text", "intent"}``) and the held-out files
(``heldout.<lang>.jsonl``: ``{"text", "intent", "entities"}``) are written by people. Every
defect (bad JSON, a missing or unknown field, an intent outside the closed set, an entity
not in the contract's form, a text held out that is also trained on) is an
:class:`ExamplesError` naming the file and line, so a bad example never trains or scores
silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from bankchat.assistant.nlu.intents import AccountType, Category, Intent
from bankchat.language import LANGUAGES, Language

#: The directory of the examples shipped with bankchat.
PACKAGE_DATA_DIR: Final[Path] = Path(__file__).parent / "data"

TRAIN: Final = "train"
HELDOUT: Final = "heldout"

_TRAIN_FIELDS: Final = frozenset({"text", "intent"})
_HELDOUT_FIELDS: Final = frozenset({"text", "intent", "entities"})
_AMOUNT: Final = re.compile(r"^\d+\.\d{2}$")
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
_TEXT_ENTITIES: Final = ("recipient", "merchant", "bank")
ENTITY_KEYS: Final = frozenset(
    {"amount", "currency", "recipient", "period", "merchant", "category", "account_type", "bank"}
)


class ExamplesError(ValueError):
    """An example file is missing or holds a defect; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    """One written utterance with what it means; ``entities`` only on held-out examples."""

    text: str
    intent: Intent
    language: Language
    source: Path
    line: int
    entities: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class Dataset:
    """The training and held-out examples of both languages, checked against each other."""

    train: tuple[Example, ...]
    heldout: tuple[Example, ...]


def example_path(directory: Path, kind: str, language: Language) -> Path:
    return directory / f"{kind}.{language}.jsonl"


def example_files(directory: Path) -> list[Path]:
    """Every example file the model and its evaluation depend on, in a fixed order."""
    return [
        example_path(directory, kind, language)
        for kind in (TRAIN, HELDOUT)
        for language in LANGUAGES
    ]


def duplicate_key(text: str) -> str:
    """What two texts share when they only differ in case, spacing or the punctuation
    around them: such a pair is the same utterance for training and testing."""
    return " ".join(text.casefold().split()).strip(" .,;:!?¿¡\"'()-")


def read_files(directory: Path) -> dict[Path, bytes | None]:
    """The bytes of every example file (None: missing), read once so that what is hashed
    and what is trained on are the same even while someone edits the files."""
    contents: dict[Path, bytes | None] = {}
    for path in example_files(directory):
        try:
            contents[path] = path.read_bytes()
        except FileNotFoundError:
            contents[path] = None
        except OSError as error:
            raise ExamplesError(f"{path}: cannot be read: {error}") from None
    return contents


def parse_examples(
    content: bytes | None, path: Path, language: Language, *, heldout: bool
) -> list[Example]:
    """The examples of one file's ``content``; blank lines are allowed and skipped."""
    if content is None:
        raise ExamplesError(f"{path}: example file is missing")
    try:
        lines = content.decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ExamplesError(f"{path}: not UTF-8: {error}") from None
    examples = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        example = _parse_line(raw, path, number, language, heldout=heldout)
        key = duplicate_key(example.text)
        if key in seen:
            raise ExamplesError(
                f"{path}:{number}: duplicate text {example.text!r} (also on line {seen[key]})"
            )
        seen[key] = number
        examples.append(example)
    if not examples:
        raise ExamplesError(f"{path}: holds no examples")
    return examples


def load_dataset(
    directory: Path,
    *,
    contents: Mapping[Path, bytes | None] | None = None,
    heldout_required: bool = True,
) -> Dataset:
    """Training and held-out examples of ``directory`` (or of ``contents`` read from it
    by :func:`read_files`). One text may appear in both languages' training files only
    with the same intent; a held-out text also trained on is an error. Without
    ``heldout_required``, missing held-out files are skipped (the model can be built
    before its test set exists)."""
    files = read_files(directory) if contents is None else contents
    train = [
        example
        for language in LANGUAGES
        for example in _parse_file(files, directory, TRAIN, language)
    ]
    _check_consistent(train)
    heldout = [
        example
        for language in LANGUAGES
        if heldout_required or files.get(example_path(directory, HELDOUT, language)) is not None
        for example in _parse_file(files, directory, HELDOUT, language)
    ]
    _check_held_apart(train, heldout)
    return Dataset(train=tuple(train), heldout=tuple(heldout))


def _parse_file(
    files: Mapping[Path, bytes | None], directory: Path, kind: str, language: Language
) -> list[Example]:
    path = example_path(directory, kind, language)
    return parse_examples(files.get(path), path, language, heldout=kind == HELDOUT)


def _check_consistent(train: Iterable[Example]) -> None:
    first: dict[str, Example] = {}
    for example in train:
        earlier = first.setdefault(duplicate_key(example.text), example)
        if earlier.intent is not example.intent:
            raise ExamplesError(
                f"{example.location}: {example.text!r} is {example.intent.value} here but "
                f"{earlier.intent.value} at {earlier.location}"
            )


def _check_held_apart(train: Iterable[Example], heldout: Iterable[Example]) -> None:
    trained = {duplicate_key(example.text): example for example in train}
    for example in heldout:
        twin = trained.get(duplicate_key(example.text))
        if twin is not None:
            raise ExamplesError(
                f"{example.location}: held-out text {example.text!r} is also a training "
                f"example at {twin.location}"
            )


def _parse_line(raw: str, path: Path, number: int, language: Language, *, heldout: bool) -> Example:
    where = f"{path}:{number}"
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ExamplesError(f"{where}: not valid JSON: {error.msg}") from None
    if not isinstance(record, dict):
        raise ExamplesError(f"{where}: expected a JSON object")
    expected = _HELDOUT_FIELDS if heldout else _TRAIN_FIELDS
    missing = sorted(expected - record.keys())
    unexpected = sorted(record.keys() - expected)
    if missing:
        raise ExamplesError(f"{where}: missing field(s) {', '.join(missing)}")
    if unexpected:
        raise ExamplesError(f"{where}: unexpected field(s) {', '.join(unexpected)}")
    text = record["text"]
    if not isinstance(text, str) or not text.strip():
        raise ExamplesError(f"{where}: text must be a non-empty string")
    try:
        intent = Intent(record["intent"])
    except (ValueError, TypeError):
        raise ExamplesError(f"{where}: unknown intent {record['intent']!r}") from None
    entities = None
    if heldout:
        entities = record["entities"]
        problem = entities_problem(entities)
        if problem is not None:
            raise ExamplesError(f"{where}: {problem}")
    return Example(
        text=text, intent=intent, language=language, source=path, line=number, entities=entities
    )


def entities_problem(entities: object) -> str | None:
    """Why ``entities`` is not in the NLU contract's JSON form, or None when it is."""
    if not isinstance(entities, dict):
        return "entities must be a JSON object"
    unknown = sorted(set(entities) - ENTITY_KEYS)
    if unknown:
        return f"unknown entity name(s) {', '.join(unknown)}"
    checks: dict[str, Callable[[Any], bool]] = {
        "amount": lambda v: isinstance(v, str) and bool(_AMOUNT.match(v)),
        "currency": lambda v: isinstance(v, str) and bool(_CURRENCY.match(v)),
        "category": lambda v: isinstance(v, str) and v in {c.value for c in Category},
        "account_type": lambda v: isinstance(v, str) and v in {a.value for a in AccountType},
        "period": _valid_period,
        **dict.fromkeys(_TEXT_ENTITIES, _trimmed_text),
    }
    for name, value in entities.items():
        if not checks[name](value):
            return f"entity {name} has a value outside the contract's form: {value!r}"
    return None


def _trimmed_text(value: object) -> bool:
    return isinstance(value, str) and value != "" and value.strip() == value


def _valid_period(value: object) -> bool:
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        return False
    try:
        start = date.fromisoformat(value["from"])
        end = date.fromisoformat(value["to"])
    except (TypeError, ValueError):
        return False
    # Only the canonical spelling counts: the contract's JSON is compared as text.
    return start <= end and value["from"] == start.isoformat() and value["to"] == end.isoformat()
