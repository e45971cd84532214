"""Password hashing (argon2id, its cost profiles, rehash detection) and the password policy."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from bankchat.identity.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    REASONS,
    check_password,
    dummy_hash,
    hash_password,
    hasher,
    needs_rehash,
    verify_password,
)

EMAIL = "anna.schmidt@example.org"
NAME = "Anna Schmidt"


def reasons(password: str, *, email: str = EMAIL, name: str = NAME) -> list[str]:
    return check_password(password, email=email, display_name=name)


# -- hashing --------------------------------------------------------------------------


def test_standard_profile_is_argon2id_with_library_defaults() -> None:
    standard = hasher("standard")
    defaults = PasswordHasher()
    assert (standard.time_cost, standard.memory_cost, standard.parallelism) == (
        defaults.time_cost,
        defaults.memory_cost,
        defaults.parallelism,
    )
    assert hash_password(standard, "x").startswith("$argon2id$")


def test_light_profile_is_cheap_argon2id() -> None:
    light = hasher("light")
    assert (light.time_cost, light.memory_cost, light.parallelism) == (1, 1024, 1)
    assert hash_password(light, "x").startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_hash_is_salted() -> None:
    light = hasher("light")
    assert hash_password(light, "same password") != hash_password(light, "same password")


def test_verify_accepts_the_password_and_refuses_another() -> None:
    light = hasher("light")
    stored = hash_password(light, "Tintenfisch auf Reisen")
    assert verify_password(light, stored, "Tintenfisch auf Reisen")
    assert not verify_password(light, stored, "tintenfisch auf reisen")


def test_composed_and_decomposed_umlauts_are_the_same_password() -> None:
    light = hasher("light")
    composed = unicodedata.normalize("NFC", "Grüße aus Köln")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(light, hash_password(light, composed), decomposed)


def test_corrupt_hash_never_matches() -> None:
    assert not verify_password(hasher("light"), "$argon2id$garbage", "anything")


def test_hash_made_with_other_cost_needs_rehash() -> None:
    light_hash = hash_password(hasher("light"), "pw")
    assert needs_rehash(hasher("standard"), light_hash)
    assert not needs_rehash(hasher("light"), light_hash)
    assert needs_rehash(hasher("light"), "not a hash")


def test_dummy_hash_costs_what_the_hasher_costs() -> None:
    custom = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert "$m=2048,t=2,p=1$" in dummy_hash(custom)
    assert "$m=1024,t=1,p=1$" in dummy_hash(hasher("light"))


# -- policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["Tintenfisch auf Reisen", "Xk9#mP2q!!7a", "correct horse battery staple", "8350274619"],
)
def test_good_password_passes(password: str) -> None:
    assert reasons(password) == []


def test_short_password_is_too_short() -> None:
    assert reasons("Xk9#mP2q!") == ["too_short"]
    assert reasons("Xk9#mP2q!7") == []


def test_overlong_password_is_too_long() -> None:
    long = ("Xk9#mP2q!7" * 26)[: MAX_LENGTH + 1]
    assert reasons(long) == ["too_long"]
    assert reasons(long[:MAX_LENGTH]) == []


@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "Passwort2024!",
        "P@ssw0rd123",
        "trustno1!!",
        "sommer2024!",
        "ichliebedich",
        "qwertzuiop",
        "qwertyuiop1",
        "1qaz2wsx3edc",
        "abcdefghijkl",
        "0987654321",
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "12121212121212",
        "ab1234567890",
    ],
)
def test_common_password_or_pattern_is_too_common(password: str) -> None:
    assert "too_common" in reasons(password)


def test_password_with_the_email_local_part_is_refused() -> None:
    assert reasons("my Anna.Schmidt 1 secret", name="Someone Else") == ["contains_email"]


def test_short_email_local_part_is_not_looked_for() -> None:
    assert reasons("Tintenfisch ab Reisen", email="ab@example.org", name="Xy") == []


def test_password_with_the_display_name_is_refused() -> None:
    assert reasons("Reisende Schmidt 77", email="x@example.org") == ["contains_name"]


def test_reasons_come_in_a_fixed_order() -> None:
    assert reasons("anna", email="anna@example.org", name="anna") == [
        "too_short",
        "contains_email",
        "contains_name",
    ]


@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=100))
def test_policy_never_raises_and_is_deterministic(password: str, email: str, name: str) -> None:
    first = check_password(password, email=email, display_name=name)
    assert first == check_password(password, email=email, display_name=name)
    assert set(first) <= set(REASONS)
    assert first == [reason for reason in REASONS if reason in first]
    length = len(unicodedata.normalize("NFC", password))
    assert ("too_short" in first) == (length < MIN_LENGTH)
    assert ("too_long" in first) == (length > MAX_LENGTH)
