"""IBANs with valid ISO 13616 check digits (mod 97), and their validation."""

from __future__ import annotations

import re

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def _as_number(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def check_digits(country: str, bban: str) -> str:
    """The two check digits of the IBAN for ``country`` and ``bban``."""
    return f"{98 - _as_number(bban + country + '00') % 97:02d}"


def make_iban(country: str, bban: str) -> str:
    """A complete IBAN from a country code and a BBAN."""
    return f"{country}{check_digits(country, bban)}{bban}"


def german_iban(bank_code: str, account_number: int) -> str:
    """A German IBAN: 8-digit Bankleitzahl and 10-digit account number."""
    return make_iban("DE", f"{bank_code}{account_number:010d}")


def is_valid_iban(iban: str) -> bool:
    """Whether ``iban`` is well-formed and its check digits are right."""
    # fullmatch: with match, "$" would also accept a trailing newline.
    if not _IBAN.fullmatch(iban):
        return False
    return _as_number(iban[4:] + iban[:4]) % 97 == 1
