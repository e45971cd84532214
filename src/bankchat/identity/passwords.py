"""Passwords: argon2id hashing and verification, and the policy a new password must meet.

The hasher is passed in rather than global so that its cost is chosen once, from
``Settings.password_hash_profile``. Passwords are NFC-normalised before hashing so the
same password typed on different keyboards (composed or decomposed umlauts) verifies.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise
from typing import Final, Literal

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

HashProfile = Literal["standard", "light"]

MIN_LENGTH: Final = 10
MAX_LENGTH: Final = 256

# Reason codes, in the order ``check_password`` reports them.
TOO_SHORT: Final = "too_short"
TOO_LONG: Final = "too_long"
TOO_COMMON: Final = "too_common"
CONTAINS_EMAIL: Final = "contains_email"
CONTAINS_NAME: Final = "contains_name"
REASONS: Final = (TOO_SHORT, TOO_LONG, TOO_COMMON, CONTAINS_EMAIL, CONTAINS_NAME)


@lru_cache(maxsize=2)
def hasher(profile: HashProfile) -> PasswordHasher:
    """The argon2id hasher for ``profile``.

    ``standard`` is argon2-cffi's default (RFC 9106's low-memory recommendation);
    ``light`` costs almost nothing and exists only for tests and benchmarks, where
    thousands of hashes would otherwise dominate the run time.
    """
    if profile == "light":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher(type=Type.ID)


def _normalised(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password_hasher: PasswordHasher, password: str) -> str:
    """An argon2id hash (``$argon2id$...``) of ``password`` with a fresh salt."""
    return password_hasher.hash(_normalised(password))


def verify_password(password_hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a corrupt hash never matches."""
    try:
        return password_hasher.verify(password_hash, _normalised(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hasher: PasswordHasher, password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than ``password_hasher``'s."""
    try:
        return password_hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    ).hash("no person has this password; it only makes a miss cost a verify")


def dummy_hash(password_hasher: PasswordHasher) -> str:
    """A hash with ``password_hasher``'s cost that no real password matches.

    Verifying against it when an email is unknown makes a miss take as long as a wrong
    password, so response time does not tell whether an address has an account.
    """
    return _dummy_hash(
        password_hasher.time_cost, password_hasher.memory_cost, password_hasher.parallelism
    )


# -- policy ---------------------------------------------------------------------------

# Bases of the passwords people pick first, German and English; a password that is one
# of these with some digits or symbols around it (or a letter-for-digit swap) is too common.
# fmt: off
_COMMON_BASES: Final = frozenset(
    {
        "password", "passwort", "passwd", "kennwort", "geheim", "secret", "letmein",
        "iloveyou", "ichliebedich", "welcome", "willkommen", "hallo", "hello", "admin",
        "administrator", "login", "guest", "test", "qwerty", "qwertz", "azerty", "asdf",
        "monkey", "dragon", "sunshine", "football", "fussball", "baseball", "master",
        "shadow", "superman", "batman", "princess", "prinzessin", "freedom", "starwars",
        "whatever", "computer", "internet", "changeme", "default", "trustno", "summer",
        "sommer", "winter", "spring", "fruehling", "autumn", "herbst", "schatz", "schatzi",
        "liebe", "love", "banking", "bankchat", "online", "sparkasse", "deutschland",
        "germany", "berlin", "muenchen", "hamburg", "januar", "january", "mustermann",
        "blablabla", "abcdef", "abcdefg", "abcdefgh",
    }
)

_LEET: Final = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                              "@": "a", "$": "s", "!": "i", "+": "t"})
# fmt: on

# Rows of German and English keyboards, the alphabet, the digits, and the keyboard's
# columns read top to bottom (so "1qaz2wsx" is a walk too).
_SEQUENCES: Final = (
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopü",
    "qwertzuiopü",
    "asdfghjklöä",
    "yxcvbnm",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6zhn7ujm8ik9ol0p",
    "1qay2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "!@#$%^&*()",
    '!"§$%&/()=',
)

_NEIGHBOURS: Final = frozenset(
    pair for sequence in _SEQUENCES for a, b in pairwise(sequence) for pair in ((a, b), (b, a))
)

_EDGE_NOISE: Final = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _runs(text: str) -> int:
    """How many pieces ``text`` falls into when a piece may only step to a neighbouring
    key (or repeat a key): "qwertz" is one piece, "aaaa1234" two, a random string many."""
    if not text:
        return 0
    runs = 1
    for a, b in pairwise(text):
        if a != b and (a, b) not in _NEIGHBOURS:
            runs += 1
    return runs


def _is_repetition(text: str) -> bool:
    """Whether ``text`` is one short unit said again and again ("abcabcabc", "12121212")."""
    return any(
        len(text) >= 2 * size and text == (text[:size] * (len(text) // size + 1))[: len(text)]
        for size in range(1, 5)
    )


def _is_common(password: str) -> bool:
    lowered = password.lower()
    if _runs(lowered) <= 2 or _is_repetition(lowered):
        return True
    core = _EDGE_NOISE.sub("", lowered).translate(_LEET)
    if _is_repetition(core):
        return True
    return any(base in core and len(core) - len(base) <= 3 for base in _COMMON_BASES)


def _contains_email(lowered: str, email: str) -> bool:
    local_part = email.strip().lower().partition("@")[0]
    return len(local_part) >= 3 and local_part in lowered


def _contains_name(lowered: str, display_name: str) -> bool:
    name = display_name.strip().lower()
    pieces = {name, *name.split()}
    return any(len(piece) >= 3 and piece in lowered for piece in pieces)


def check_password(password: str, *, email: str, display_name: str) -> list[str]:
    """Why ``password`` is not good enough for this person (empty when it is).

    The codes are from ``REASONS``, in that order. Length is counted in characters
    after NFC normalisation, the form that is hashed.
    """
    password = _normalised(password)
    reasons: list[str] = []
    if len(password) < MIN_LENGTH:
        reasons.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        reasons.append(TOO_LONG)
    if _is_common(password):
        reasons.append(TOO_COMMON)
    lowered = password.lower()
    if _contains_email(lowered, email):
        reasons.append(CONTAINS_EMAIL)
    if _contains_name(lowered, display_name):
        reasons.append(CONTAINS_NAME)
    return reasons
