"""``bankchat nlu``: parse (stdin lines to JSON lines), train and eval."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bankchat.assistant.nlu.cli import nlu_app
from bankchat.assistant.nlu.model_cache import cache_path
from bankchat.assistant.nlu.pipeline import load_nlu
from tests.assistant.nlu.tiny_examples import write_tiny_examples

LINES = ["wie ist mein kontostand", "", "send anna 30 euros", "   ", "lock my card"]


@pytest.fixture(scope="module")
def examples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_examples(tmp_path_factory.mktemp("examples"))


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(nlu_app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_parse_writes_one_json_line_per_input_line_in_order(
    examples_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = _run(
        "parse",
        "--today",
        "2026-11-23",
        "--examples-dir",
        str(examples_dir),
        "--data-dir",
        str(tmp_path),
        stdin="\n".join(LINES) + "\n",
    )
    assert code == 0
    nlu = load_nlu(None, examples_dir=examples_dir)
    expected = [nlu.parse(line, today=date(2026, 11, 23)).as_json() for line in LINES]
    assert [json.loads(line) for line in out.splitlines()] == expected


def test_parse_answers_a_blank_line_with_out_of_scope(examples_dir: Path, tmp_path: Path) -> None:
    _, out, _ = _run(
        "parse",
        "--language",
        "de",
        "--examples-dir",
        str(examples_dir),
        "--data-dir",
        str(tmp_path),
        stdin="hallo\n\n",
    )
    blank = json.loads(out.splitlines()[1])
    assert blank == {
        "text": "",
        "language": "de",
        "intent": "out_of_scope",
        "confidence": 1.0,
        "entities": {},
    }


def test_parse_keeps_umlauts_readable_and_strips_only_the_line_end(
    examples_dir: Path, tmp_path: Path
) -> None:
    _, out, _ = _run(
        "parse",
        "--examples-dir",
        str(examples_dir),
        "--data-dir",
        str(tmp_path),
        stdin=" Überweise an Jürgen \r\n",
    )
    assert '"text": " Überweise an Jürgen "' in out


def test_parse_without_a_final_newline_still_answers_the_last_line(
    examples_dir: Path, tmp_path: Path
) -> None:
    _, out, _ = _run(
        "parse",
        "--examples-dir",
        str(examples_dir),
        "--data-dir",
        str(tmp_path),
        stdin="hello\nlock my card",
    )
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["hello", "lock my card"]


def test_parse_recognises_the_banks_it_is_given(examples_dir: Path, tmp_path: Path) -> None:
    options = ["parse", "--examples-dir", str(examples_dir), "--data-dir", str(tmp_path)]
    line = "kontostand bei der Nordlichtbank\n"
    _, without, _ = _run(*options, stdin=line)
    _, given, _ = _run(*options, "--bank", "Nordlichtbank", "--bank", "Kranich Bank", stdin=line)
    assert "bank" not in json.loads(without)["entities"]
    assert json.loads(given)["entities"]["bank"] == "Nordlichtbank"


@pytest.mark.parametrize(
    "today", ["2026-13-01", "2026-02-30", "yesterday", "23.11.2026", "20261123"]
)
def test_parse_rejects_a_bad_today_with_exit_code_2(today: str) -> None:
    code, _, err = _run("parse", "--today", today, stdin="hallo\n")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_parse_rejects_an_unknown_language_with_exit_code_2() -> None:
    code, _, err = _run("parse", "--language", "fr", stdin="bonjour\n")
    assert code == 2
    assert "de, en" in err


def test_an_error_message_keeps_square_brackets_of_the_example(tmp_path: Path) -> None:
    examples = write_tiny_examples(tmp_path / "examples")
    with (examples / "train.de.jsonl").open("a", encoding="utf-8") as file:
        file.write('{"text": "hallo [bold]", "intent": "[red]greet[/red]"}\n')
    code, _, err = _run(
        "parse", "--examples-dir", str(examples), "--data-dir", str(tmp_path), stdin="x\n"
    )
    assert code == 1
    assert "train.de.jsonl:31: unknown intent '[red]greet[/red]'" in err.replace("\n", "")


def test_a_defect_in_the_examples_is_named_with_exit_code_1(tmp_path: Path) -> None:
    examples = write_tiny_examples(tmp_path / "examples")
    with (examples / "train.de.jsonl").open("a", encoding="utf-8") as file:
        file.write('{"text": "hallo nochmal", "intent": "hallo"}\n')
    code, _, err = _run(
        "parse", "--examples-dir", str(examples), "--data-dir", str(tmp_path), stdin="x\n"
    )
    assert code == 1
    assert "train.de.jsonl:31: unknown intent 'hallo'" in err.replace("\n", "")


def test_parse_answers_each_line_before_the_next_arrives(
    examples_dir: Path, tmp_path: Path
) -> None:
    command = [
        sys.executable,
        "-c",
        "from bankchat.assistant.nlu.cli import nlu_app; nlu_app()",
        "parse",
        "--examples-dir",
        str(examples_dir),
        "--data-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    with subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        answers = []
        for text in ("hello", "lock my card"):
            process.stdin.write(text + "\n")
            process.stdin.flush()
            # stdin stays open: an answer only arrives if it was flushed at once.
            assert selector.select(timeout=300), "no answer while the input stayed open"
            answers.append(json.loads(process.stdout.readline())["text"])
        process.stdin.close()
        assert process.wait(timeout=300) == 0
    assert answers == ["hello", "lock my card"]


def test_train_builds_into_the_cache_and_describes_the_model(
    examples_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = _run(
        "train", "--examples-dir", str(examples_dir), "--data-dir", str(tmp_path / "data")
    )
    assert code == 0, out
    digest = load_nlu(None, examples_dir=examples_dir).model.digest
    assert cache_path(tmp_path / "data", digest).is_file()
    flat = " ".join(out.split())
    assert "cross-validated accuracy" in flat
    assert "out-of-scope threshold" in flat
    assert "send_money" in flat
    totals = next(line for line in out.splitlines() if " all " in line)
    assert totals.replace("│", " ").split() == ["all", "30", "30"]
    assert digest in out.replace("\n", "")


def test_eval_json_has_every_figure(examples_dir: Path, tmp_path: Path) -> None:
    code, out, _ = _run(
        "eval", "--json", "--examples-dir", str(examples_dir), "--data-dir", str(tmp_path)
    )
    assert code == 0
    figures = json.loads(out)
    assert set(figures) == {
        "today",
        "overall",
        "intents",
        "entities",
        "entities_exact",
        "language_detection",
        "confusions",
    }
    assert figures["today"] == "2026-11-23"
    assert {lang: figures["overall"][lang]["count"] for lang in ("de", "en")} == {"de": 5, "en": 5}
    assert set(figures["intents"]["en"]) == {
        "greet",
        "check_balance",
        "send_money",
        "lock_card",
        "out_of_scope",
    }
    assert {"amount", "currency", "recipient"} <= set(figures["entities"]["de"])


def test_eval_prints_tables_of_intents_entities_languages_and_confusions(
    examples_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = _run("eval", "--examples-dir", str(examples_dir), "--data-dir", str(tmp_path))
    assert code == 0
    for title in ("Intent accuracy", "Entity accuracy", "Language detection", "Confusions"):
        assert title in out
    assert "lock_card" in out


def test_eval_needs_the_held_out_files(tmp_path: Path) -> None:
    examples = write_tiny_examples(tmp_path / "examples", heldout=False)
    code, _, err = _run("eval", "--examples-dir", str(examples), "--data-dir", str(tmp_path))
    assert code == 1
    assert "heldout.de.jsonl: example file is missing" in err.replace("\n", "")


def test_bankchat_has_the_nlu_commands() -> None:
    from bankchat.cli import app

    result = CliRunner().invoke(app, ["nlu", "--help"])
    assert result.exit_code == 0
    for command in ("parse", "train", "eval"):
        assert command in result.stdout
