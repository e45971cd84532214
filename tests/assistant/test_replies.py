"""The reply catalogs (complete, translated, same placeholders in both languages) and
amounts and dates formatted per locale."""

from __future__ import annotations

import ast
import re
import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import bankchat.assistant
from bankchat.assistant import replies
from bankchat.assistant.handlers import MONEY_SLOTS
from bankchat.assistant.handlers.base import DEFAULT_SUGGESTIONS
from bankchat.assistant.nlu.intents import Category
from bankchat.language import LANGUAGES

SOURCE = Path(bankchat.assistant.__file__).parent
TRANSLATING = {"say": 0, "t": 0, "translate": 1}
COUNTING = {"tn": 0, "translate_count": 1}


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _constant(call: ast.Call, index: int) -> str | None:
    if len(call.args) > index and isinstance(call.args[index], ast.Constant):
        value = call.args[index].value  # type: ignore[attr-defined]
        return value if isinstance(value, str) else None
    return None


def used_msgids() -> set[str]:
    """Every message id the assistant's code asks for: literal ids found in its calls,
    plus the families it builds from parts (categories, suggestions, money questions)."""
    found: set[str] = set()
    suggestion_keys: set[str] = set(DEFAULT_SUGGESTIONS)
    for path in SOURCE.rglob("*.py"):
        if "nlu" in path.relative_to(SOURCE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            if name in TRANSLATING and (msgid := _constant(node, TRANSLATING[name])):
                found.add(msgid)
            if name in COUNTING and (msgid := _constant(node, COUNTING[name])):
                found |= {f"{msgid}.one", f"{msgid}.other"}
            if name == "suggestions" and len(node.args) > 1 and isinstance(node.args[1], ast.Tuple):
                suggestion_keys |= {
                    e.value for e in node.args[1].elts if isinstance(e, ast.Constant)
                }
    found |= {f"category.{c.value}" for c in Category}
    found |= {f"suggest.{k}.{part}" for k in suggestion_keys for part in ("label", "say")}
    for intent in MONEY_SLOTS:
        found.add(f"{intent.value}.not_yet")
        for ask in ("ask_amount", "ask_amount_of", "ask_recipient"):
            found |= {f"{intent.value}.{ask}", f"{intent.value}.{ask}_again"}
    return found


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


CATALOGS = {language: replies.load_catalog(language) for language in LANGUAGES}


def entries(language: str) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in CATALOGS[language] if m.id}  # type: ignore[index]


def test_both_catalogs_hold_every_message_the_code_uses() -> None:
    used = used_msgids()
    for language in LANGUAGES:
        assert used - set(entries(language)) == set(), language


def test_the_catalogs_hold_nothing_the_code_does_not_use() -> None:
    assert set(entries("en")) - used_msgids() == set()


def test_both_catalogs_hold_the_same_messages() -> None:
    assert set(entries("de")) == set(entries("en"))


def test_every_message_is_translated() -> None:
    for language in LANGUAGES:
        assert [k for k, v in entries(language).items() if not v.strip()] == [], language


def test_both_languages_use_the_same_placeholders() -> None:
    german, english = entries("de"), entries("en")
    assert [k for k in german if placeholders(german[k]) != placeholders(english[k])] == []


def test_the_german_replies_say_du() -> None:
    formal = re.compile(r"\b(Sie|Ihr|Ihre|Ihnen|Ihren)\b")
    assert [k for k, v in entries("de").items() if formal.search(v)] == []


def test_a_reply_is_filled_in() -> None:
    assert replies.translate("de", "unlink.done", bank="Nordbank") == (
        "Erledigt: Die Verbindung zu Nordbank ist getrennt und die Daten dieser Konten sind "
        "gelöscht."
    )


def test_an_unknown_message_is_an_error() -> None:
    with pytest.raises(replies.MissingReply):
        replies.translate("en", "no.such.message")


@pytest.mark.parametrize(("count", "expected"), [(1, "1 transaction"), (3, "3 transactions")])
def test_counts_choose_singular_or_plural(count: int, expected: str) -> None:
    assert replies.translate_count("en", "spending.count", count) == expected


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("de", "EUR", "1.234,56\xa0€"),
        ("en", "EUR", "€1,234.56"),
        ("de", "USD", "1.234,56\xa0$"),
        ("en", "USD", "$1,234.56"),
    ],
)
def test_amounts_are_formatted_per_locale(language: str, currency: str, expected: str) -> None:
    assert replies.money(Decimal("1234.56"), currency, language) == expected  # type: ignore[arg-type]


def test_negative_amounts_keep_their_sign() -> None:
    assert replies.money(Decimal("-12.50"), "EUR", "de") == "-12,50\xa0€"


@pytest.mark.parametrize(("language", "expected"), [("de", "20.11.2026"), ("en", "Nov 20, 2026")])
def test_dates_are_formatted_per_locale(language: str, expected: str) -> None:
    assert replies.day(date(2026, 11, 20), language) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "expected"), [("de", "1.–31. Okt. 2026"), ("en", "Oct 1 – 31, 2026")]
)
def test_a_month_reads_as_a_short_range(language: str, expected: str) -> None:
    shown = replies.period(date(2026, 10, 1), date(2026, 10, 31), language)  # type: ignore[arg-type]
    assert shown.replace("\u2009", " ") == expected


def test_lists_are_joined_in_the_language() -> None:
    assert replies.join(["A", "B", "C"], "de") == "A, B und C"
