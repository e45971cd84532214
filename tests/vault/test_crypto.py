"""AES-256-GCM field encryption, data-key wrapping and keyed digests."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from bankchat.vault.crypto import (
    NONCE_BYTES,
    PersonCipher,
    VaultIntegrityError,
    field_associated_data,
    frame,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from bankchat.vault.keys import new_master_key

PERSON = "7f1c2d3e-0000-4000-8000-000000000001"
OTHER_PERSON = "7f1c2d3e-0000-4000-8000-000000000002"
DATA_KEY = bytes(range(32))


def cipher(person_id: str = PERSON, version: int = 1, key: bytes = DATA_KEY) -> PersonCipher:
    return PersonCipher(person_id, version, key)


def test_sealed_field_opens_to_the_plaintext() -> None:
    blob = cipher().seal("transaction.amount", "row-1", b'["12.50","EUR"]')
    assert cipher().open("transaction.amount", "row-1", blob) == b'["12.50","EUR"]'


def test_ciphertext_does_not_contain_the_plaintext() -> None:
    blob = cipher().seal("transaction.remittance", "row-1", b"Miete Januar")
    assert b"Miete" not in blob


def test_each_seal_uses_a_fresh_nonce() -> None:
    first = cipher().seal("f", "row-1", b"same")
    second = cipher().seal("f", "row-1", b"same")
    assert first[:NONCE_BYTES] != second[:NONCE_BYTES]
    assert first != second


def test_associated_data_is_the_documented_binding() -> None:
    blob = cipher().seal("transaction.amount", "row-1", b"x")
    associated_data = field_associated_data(PERSON, 1, "transaction.amount", "row-1")
    assert AESGCM(DATA_KEY).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data) == b"x"


def test_changed_byte_fails_loudly() -> None:
    blob = bytearray(cipher().seal("f", "row-1", b"secret"))
    blob[NONCE_BYTES + 2] ^= 0x01
    with pytest.raises(VaultIntegrityError):
        cipher().open("f", "row-1", bytes(blob))


def test_truncated_ciphertext_fails_loudly() -> None:
    blob = cipher().seal("f", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher().open("f", "row-1", blob[:20])


def test_ciphertext_of_another_person_fails_even_under_the_same_key() -> None:
    blob = cipher(OTHER_PERSON).seal("f", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher(PERSON).open("f", "row-1", blob)


def test_ciphertext_of_another_field_fails() -> None:
    blob = cipher().seal("transaction.remittance", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher().open("transaction.counterparty", "row-1", blob)


def test_ciphertext_of_another_row_fails() -> None:
    blob = cipher().seal("f", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher().open("f", "row-2", blob)


def test_ciphertext_of_another_key_version_fails() -> None:
    blob = cipher(version=1).seal("f", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher(version=2).open("f", "row-1", blob)


def test_ciphertext_under_another_data_key_fails() -> None:
    blob = cipher(key=new_data_key()).seal("f", "row-1", b"secret")
    with pytest.raises(VaultIntegrityError):
        cipher().open("f", "row-1", blob)


def test_framing_keeps_differently_split_parts_apart() -> None:
    assert frame(b"a|", b"b") != frame(b"a", b"|b")
    assert field_associated_data("p", 1, "f|x", "r") != field_associated_data("p", 1, "f", "x|r")


def test_wrapped_data_key_unwraps_under_its_master_key() -> None:
    master = new_master_key()
    wrapped = wrap_data_key(master, PERSON, 1, DATA_KEY)
    assert DATA_KEY not in wrapped
    assert unwrap_data_key(master, PERSON, 1, wrapped) == DATA_KEY


def test_wrapped_data_key_does_not_unwrap_under_another_master_key() -> None:
    wrapped = wrap_data_key(new_master_key(), PERSON, 1, DATA_KEY)
    with pytest.raises(VaultIntegrityError):
        unwrap_data_key(new_master_key(), PERSON, 1, wrapped)


def test_wrapped_data_key_is_bound_to_its_person() -> None:
    master = new_master_key()
    wrapped = wrap_data_key(master, PERSON, 1, DATA_KEY)
    with pytest.raises(VaultIntegrityError):
        unwrap_data_key(master, OTHER_PERSON, 1, wrapped)


def test_wrapped_data_key_is_bound_to_its_version() -> None:
    master = new_master_key()
    wrapped = wrap_data_key(master, PERSON, 1, DATA_KEY)
    with pytest.raises(VaultIntegrityError):
        unwrap_data_key(master, PERSON, 2, wrapped)


def test_data_key_must_be_256_bits() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PersonCipher(PERSON, 1, b"short")


def test_digest_is_stable_for_one_data_key() -> None:
    assert cipher().digest("k", b"tx-1") == cipher().digest("k", b"tx-1")


def test_digest_differs_between_data_keys_labels_and_inputs() -> None:
    base = cipher().digest("k", b"tx-1")
    assert cipher(key=new_data_key()).digest("k", b"tx-1") != base
    assert cipher().digest("other", b"tx-1") != base
    assert cipher().digest("k", b"tx-2") != base


@given(
    plaintext=st.binary(max_size=2000),
    field=st.text(min_size=1, max_size=40),
    row_id=st.text(min_size=1, max_size=40),
)
def test_any_plaintext_round_trips(plaintext: bytes, field: str, row_id: str) -> None:
    assert cipher().open(field, row_id, cipher().seal(field, row_id, plaintext)) == plaintext
