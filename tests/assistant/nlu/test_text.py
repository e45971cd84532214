"""Folding, tokens and word patterns shared by the NLU's extractors."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bankchat.assistant.nlu.text import (
    compact,
    fold,
    fold_variants,
    shadow,
    tokenize,
    trie_pattern,
    word_run,
)


@given(st.text())
def test_shadow_keeps_every_character_in_its_place(text: str) -> None:
    assert len(shadow(text)) == len(text)


@pytest.mark.parametrize(
    ("written", "shadowed"),
    [
        ("März", "marz"),
        ("Straße", "strase"),
        ("ÖPNV", "opnv"),
        ("Café", "cafe"),
        ("1\u00a0000", "1 000"),
    ],
)
def test_shadow_lowers_and_flattens_letters(written: str, shadowed: str) -> None:
    assert shadow(written) == shadowed


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Einkäufe", "Einkaeufe", "EINKÄUFE"], "einkaeufe"),
        (["Straße", "Strasse", "STRASSE"], "strasse"),
        (["McDonald's", "McDonald’s", "mcdonalds"], "mcdonalds"),
        (["Café", "cafe"], "cafe"),
    ],
)
def test_spellings_of_one_word_share_a_key(spellings: list[str], key: str) -> None:
    assert {fold(spelling) for spelling in spellings} == {key}


def test_variants_add_the_spelling_with_bare_vowels() -> None:
    assert fold_variants("März") == {"maerz", "marz"}


def test_compact_joins_words_and_hyphens() -> None:
    assert {compact("media markt"), compact("media-markt")} == {"mediamarkt"}


def test_tokens_keep_their_spans_and_names_stay_whole() -> None:
    text = "Schick Anna-Lena 12,50 € bei H&M, Disney+ & McDonald's"
    tokens = tokenize(text)
    assert all(text[token.start : token.end] == token.text for token in tokens)
    assert [token.text for token in tokens] == [
        "Schick",
        "Anna-Lena",
        "12",
        "50",
        "€",
        "bei",
        "H&M",
        "Disney+",
        "&",
        "McDonald's",
    ]


def _run(text: str, first: int, limit: int = 3) -> str:
    tokens = tokenize(text)
    end = word_run(text, tokens, first, limit, lambda token: token.is_capitalised)
    return " ".join(token.text for token in tokens[first:end])


def test_word_run_takes_adjacent_accepted_words_up_to_the_limit() -> None:
    assert _run("an Anna Lena Maria Schmidt heute", 1) == "Anna Lena Maria"


def test_word_run_stops_at_a_word_it_does_not_accept() -> None:
    assert _run("bei Bäckerei Schmidt gestern", 1) == "Bäckerei Schmidt"


def test_word_run_stops_at_punctuation_between_words() -> None:
    assert _run("an Anna, Lena", 1) == "Anna"


def test_word_run_is_empty_when_the_first_word_is_not_accepted() -> None:
    assert _run("an anna", 1) == ""


@given(st.lists(st.text(alphabet="abcde", min_size=1, max_size=6), min_size=1, max_size=12))
def test_trie_pattern_matches_exactly_its_words(words: list[str]) -> None:
    pattern = re.compile(trie_pattern(words))
    probes = {*words, *(word + "a" for word in words), *(word[:-1] for word in words)}
    for probe in probes:
        assert (pattern.fullmatch(probe) is not None) == (probe in words), probe
