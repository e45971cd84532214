"""IBAN check digits: every made IBAN validates and any single changed digit is caught."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from bankchat.sandbox.iban import german_iban, is_valid_iban, make_iban

countries = st.text(string.ascii_uppercase, min_size=2, max_size=2)
bbans = st.text(string.ascii_uppercase + string.digits, min_size=11, max_size=30)
bank_codes = st.text(string.digits, min_size=8, max_size=8)
account_numbers = st.integers(min_value=0, max_value=10**10 - 1)
whitespace = st.lists(
    st.sampled_from([" ", "\n", "\r", "\t", "\r\n", "\x0b", "\x0c", "\u00a0"]), min_size=1
).map("".join)


@given(countries, bbans)
def test_made_iban_is_valid(country: str, bban: str) -> None:
    assert is_valid_iban(make_iban(country, bban))


@given(countries, bbans)
def test_made_iban_keeps_country_and_bban(country: str, bban: str) -> None:
    iban = make_iban(country, bban)
    assert iban[:2] == country
    assert iban[4:] == bban


@given(bank_codes, account_numbers)
def test_german_iban_has_22_characters_and_validates(code: str, number: int) -> None:
    iban = german_iban(code, number)
    assert len(iban) == 22
    assert iban.startswith("DE")
    assert is_valid_iban(iban)


@given(bank_codes, account_numbers, st.data())
def test_single_changed_digit_is_detected(code: str, number: int, data: st.DataObject) -> None:
    iban = german_iban(code, number)
    position = data.draw(st.integers(min_value=2, max_value=len(iban) - 1))
    replacement = data.draw(st.sampled_from([d for d in string.digits if d != iban[position]]))
    corrupted = iban[:position] + replacement + iban[position + 1 :]
    assert not is_valid_iban(corrupted)


@given(bank_codes, account_numbers, st.data())
def test_swapped_adjacent_digits_are_detected(code: str, number: int, data: st.DataObject) -> None:
    iban = german_iban(code, number)
    position = data.draw(st.integers(min_value=2, max_value=len(iban) - 2))
    if iban[position] == iban[position + 1]:
        return
    swapped = iban[:position] + iban[position + 1] + iban[position] + iban[position + 2 :]
    assert not is_valid_iban(swapped)


def test_malformed_ibans_are_invalid() -> None:
    valid = german_iban("73361592", 1234567890)
    for text in (valid.lower(), valid[:10], valid + "!", "", "DE00" + valid[4:].replace("7", "X")):
        assert not is_valid_iban(text)


@given(bank_codes, account_numbers, whitespace, st.sampled_from(["prefix", "suffix", "inside"]))
def test_iban_with_whitespace_is_invalid_not_an_error(
    code: str, number: int, blank: str, where: str
) -> None:
    iban = german_iban(code, number)
    text = {"prefix": blank + iban, "suffix": iban + blank, "inside": iban[:8] + blank + iban[8:]}
    assert is_valid_iban(text[where]) is False
