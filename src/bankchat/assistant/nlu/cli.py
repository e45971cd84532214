"""``bankchat nlu``: parse utterances from stdin to JSON lines, train the model into the
cache, evaluate it on the held-out examples."""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bankchat.assistant.nlu.examples import PACKAGE_DATA_DIR, ExamplesError, load_dataset
from bankchat.assistant.nlu.intents import Intent
from bankchat.config import get_settings
from bankchat.language import LANGUAGES, Language

if TYPE_CHECKING:
    from bankchat.assistant.nlu.evaluation import Report, Tally
    from bankchat.assistant.nlu.model_cache import BuiltModel

# The model's modules are imported inside the commands: scikit-learn takes a while to
# load, and every other ``bankchat`` command imports this module.

nlu_app = typer.Typer(
    help="Understanding what people write (German and English): parse, train, evaluate.",
    no_args_is_help=True,
)

console = Console()
errors = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Directory of the model cache (default BANKCHAT_DATA_DIR)."),
]
ExamplesDirOption = Annotated[
    Path,
    typer.Option(
        "--examples-dir", help="Directory of train/heldout.<de|en>.jsonl (default: bankchat's own)."
    ),
]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANGUAGE_NAMED: dict[str, Language] = {language: language for language in LANGUAGES}


def _iso_date(value: str) -> date:
    try:
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise typer.BadParameter(f"{value!r} is not a valid date of the form YYYY-MM-DD")


def _checked_today(value: str | None) -> str | None:
    # Checked before the model loads, so a typo fails at once.
    if value is not None:
        _iso_date(value)
    return value


def _checked_language(value: str) -> str:
    if value not in _LANGUAGE_NAMED:
        raise typer.BadParameter(f"{value!r} is not one of: {', '.join(LANGUAGES)}")
    return value


def _cache_dir(data_dir: Path | None) -> Path:
    if data_dir is None:
        return get_settings().ensure_data_dir()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return data_dir


def _fail(error: ExamplesError) -> typer.Exit:
    # No markup: the message quotes example text, which may hold square brackets.
    errors.print(str(error), style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


@nlu_app.command("parse")
def parse_command(
    today: Annotated[
        str | None,
        typer.Option(
            "--today", callback=_checked_today, help="Date periods are relative to (YYYY-MM-DD)."
        ),
    ] = None,
    language: Annotated[
        str,
        typer.Option(
            "--language",
            callback=_checked_language,
            help="Language when a text does not tell: de|en.",
        ),
    ] = "en",
    bank: Annotated[
        list[str] | None,
        typer.Option("--bank", help="A bank name to recognise (repeatable), as the registry has."),
    ] = None,
    data_dir: DataDirOption = None,
    examples_dir: ExamplesDirOption = PACKAGE_DATA_DIR,
) -> None:
    """Read one utterance per line on stdin; write one JSON object per line, in order."""
    from bankchat.assistant.nlu.pipeline import load_nlu

    anchor = date.today() if today is None else _iso_date(today)
    try:
        nlu = load_nlu(_cache_dir(data_dir), examples_dir=examples_dir)
    except ExamplesError as error:
        raise _fail(error) from None
    default = _LANGUAGE_NAMED[language]
    banks = tuple(bank or ())
    # readline, not a buffered iteration: each answer is written as soon as its line came.
    for raw in iter(sys.stdin.readline, ""):
        text = raw.removesuffix("\n").removesuffix("\r")
        parse = nlu.parse(text, today=anchor, default_language=default, banks=banks)
        sys.stdout.write(json.dumps(parse.as_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()


@nlu_app.command("train")
def train_command(
    data_dir: DataDirOption = None,
    examples_dir: ExamplesDirOption = PACKAGE_DATA_DIR,
) -> None:
    """Build the model from the examples into the cache (always anew) and describe it."""
    from bankchat.assistant.nlu.model_cache import cache_path, load_or_build

    cache_dir = _cache_dir(data_dir)
    started = time.perf_counter()
    try:
        model = load_or_build(cache_dir, examples_dir, rebuild=True)
    except ExamplesError as error:
        raise _fail(error) from None
    elapsed = time.perf_counter() - started
    console.print(_examples_table(model))
    cv = model.intent_model.cross_validation
    by_language = ", ".join(f"{lang} {acc:.3f}" for lang, acc in cv.accuracy_by_language.items())
    console.print(
        f"{cv.folds}-fold cross-validated accuracy on the training examples: "
        f"{cv.accuracy:.3f} ({by_language})"
    )
    console.print(f"out-of-scope threshold (chosen by cross-validation): {cv.threshold:.2f}")
    console.print(f"built in {elapsed:.1f} s (training {model.train_seconds:.1f} s)")
    console.print(f"cached at {cache_path(cache_dir, model.digest)}", soft_wrap=True)


def _examples_table(model: BuiltModel) -> Table:
    table = Table(title="Training examples per intent")
    table.add_column("intent")
    for language in LANGUAGES:
        table.add_column(language, justify="right")
    for intent in Intent:
        table.add_row(
            intent.value,
            *(str(model.examples_per_intent.get(lang, {}).get(intent, 0)) for lang in LANGUAGES),
        )
    table.add_row(
        "all",
        *(str(sum(model.examples_per_intent.get(lang, {}).values())) for lang in LANGUAGES),
        style="bold",
    )
    return table


@nlu_app.command("eval")
def eval_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of tables."),
    data_dir: DataDirOption = None,
    examples_dir: ExamplesDirOption = PACKAGE_DATA_DIR,
) -> None:
    """Train (or load) the model and evaluate it on the held-out examples."""
    from bankchat.assistant.nlu.evaluation import HELDOUT_TODAY, evaluate
    from bankchat.assistant.nlu.pipeline import load_nlu

    try:
        heldout = load_dataset(examples_dir).heldout
        nlu = load_nlu(_cache_dir(data_dir), examples_dir=examples_dir)
    except ExamplesError as error:
        raise _fail(error) from None
    report = evaluate(nlu, heldout, HELDOUT_TODAY)
    if as_json:
        sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
        return
    for table in _report_tables(report):
        console.print(table)


def _report_tables(report: Report) -> list[Table]:
    intents = Table(title=f"Intent accuracy on the held-out examples (today {report.today})")
    intents.add_column("intent")
    for language in report.intents:
        intents.add_column(language, justify="right")
    for intent in Intent:
        intents.add_row(
            intent.value,
            *(_cell(report.intents[lang].get(intent)) for lang in report.intents),
        )
    intents.add_row("all", *(_cell(report.overall[lang]) for lang in report.intents), style="bold")

    entities = Table(title="Entity accuracy (exact value; counted where expected or found)")
    entities.add_column("entity")
    for language in report.entities:
        entities.add_column(language, justify="right")
    names = sorted({name for tallies in report.entities.values() for name in tallies})
    for name in names:
        entities.add_row(
            name, *(_cell(report.entities[lang].get(name)) for lang in report.entities)
        )
    entities.add_row(
        "all entities of an example",
        *(_cell(report.entities_exact[lang]) for lang in report.entities),
        style="bold",
    )

    detection = Table(title="Language detection (the other language as default)")
    detection.add_column("language")
    detection.add_column("accuracy", justify="right")
    for language, tally in report.language_detection.items():
        detection.add_row(language, _cell(tally))

    confusions = Table(title=f"Confusions ({len(report.confusions)})")
    for column in ("language", "text", "expected", "predicted", "confidence"):
        confusions.add_column(column)
    for confusion in report.confusions:
        confusions.add_row(
            confusion.language,
            confusion.text,
            confusion.expected.value,
            confusion.predicted.value,
            f"{confusion.confidence:.2f}",
        )
    return [intents, entities, detection, confusions]


def _cell(tally: Tally | None) -> str:
    if tally is None or not tally.count:
        return "-"
    return f"{tally.accuracy:.3f} ({tally.correct}/{tally.count})"
