"""Encryption of bank data at rest: AES-256-GCM per person, data keys wrapped by a master key.

Every ciphertext is ``nonce || ciphertext || tag`` with a fresh random 96-bit nonce. The
associated data binds what the plaintext belongs to (person, field, data-key version, row),
so a ciphertext copied to another person, field or row fails authentication instead of
decrypting into the wrong place. Any failure raises ``VaultIntegrityError``: the vault
never hands out data it cannot prove is what was written.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bankchat.vault.keys import MasterKey

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_DOMAIN = b"bankchat/v1"


class VaultIntegrityError(Exception):
    """Stored ciphertext or a wrapped key failed authentication: tampered, moved or wrong key."""


def frame(*parts: bytes) -> bytes:
    """Length-prefixed concatenation, so no two different tuples give the same bytes."""
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def field_associated_data(person_id: str, key_version: int, field: str, row_id: str) -> bytes:
    """The associated data of one encrypted field of one row."""
    return _DOMAIN + frame(
        b"field",
        person_id.encode(),
        str(key_version).encode(),
        field.encode(),
        row_id.encode(),
    )


def wrap_associated_data(person_id: str, key_version: int, master_key_id: str) -> bytes:
    """The associated data of a person's wrapped data key."""
    return _DOMAIN + frame(
        b"data-key", person_id.encode(), str(key_version).encode(), master_key_id.encode()
    )


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def _seal(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated_data)


def _open(aead: AESGCM, blob: bytes, associated_data: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag
    return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated_data)


def wrap_data_key(master: MasterKey, person_id: str, key_version: int, data_key: bytes) -> bytes:
    """``data_key`` encrypted under ``master``, bound to the person and the key version."""
    associated_data = wrap_associated_data(person_id, key_version, master.key_id)
    return _seal(AESGCM(master.secret), data_key, associated_data)


def unwrap_data_key(master: MasterKey, person_id: str, key_version: int, wrapped: bytes) -> bytes:
    """The data key inside ``wrapped``; ``VaultIntegrityError`` if it is not exactly that."""
    associated_data = wrap_associated_data(person_id, key_version, master.key_id)
    try:
        data_key = _open(AESGCM(master.secret), wrapped, associated_data)
    except InvalidTag:
        raise VaultIntegrityError(
            f"the data key of person {person_id} (version {key_version}) does not unwrap "
            f"under master key {master.key_id}"
        ) from None
    if len(data_key) != DATA_KEY_BYTES:
        raise VaultIntegrityError(f"the data key of person {person_id} has the wrong length")
    return data_key


class PersonCipher:
    """Encrypts, decrypts and digests one person's fields under their data key.

    Built once per person and reused, because setting up AES-GCM and deriving the index
    key cost more than encrypting one small field.
    """

    __slots__ = ("_ad_prefix", "_aead", "_field_prefixes", "_index_key", "key_version", "person_id")

    def __init__(self, person_id: str, key_version: int, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise ValueError(f"a data key must be {DATA_KEY_BYTES} bytes")
        self.person_id = person_id
        self.key_version = key_version
        self._aead = AESGCM(data_key)
        # The same framing as field_associated_data, with the per-row parts appended later.
        self._ad_prefix = _DOMAIN + frame(b"field", person_id.encode(), str(key_version).encode())
        self._field_prefixes: dict[str, bytes] = {}
        # A separate key for digests, so digests reveal nothing about the encryption key.
        self._index_key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=_DOMAIN + frame(b"index-key", person_id.encode(), str(key_version).encode()),
        ).derive(data_key)

    def _associated_data(self, field: str, row_id: str) -> bytes:
        prefix = self._field_prefixes.get(field)
        if prefix is None:
            prefix = self._field_prefixes[field] = self._ad_prefix + frame(field.encode())
        row = row_id.encode()
        return prefix + len(row).to_bytes(4, "big") + row

    def seal(self, field: str, row_id: str, plaintext: bytes) -> bytes:
        """``plaintext`` encrypted for ``field`` of row ``row_id``."""
        return _seal(self._aead, plaintext, self._associated_data(field, row_id))

    def seal_row(self, row_id: str, fields: Sequence[tuple[str, bytes]]) -> list[bytes]:
        """Several fields of one row sealed at once (the nonces come from one read of the
        system's random source), in the order given."""
        nonces = os.urandom(NONCE_BYTES * len(fields))
        sealed = []
        for index, (field, plaintext) in enumerate(fields):
            nonce = nonces[index * NONCE_BYTES : (index + 1) * NONCE_BYTES]
            associated_data = self._associated_data(field, row_id)
            sealed.append(nonce + self._aead.encrypt(nonce, plaintext, associated_data))
        return sealed

    def open(self, field: str, row_id: str, blob: bytes) -> bytes:
        """The plaintext of ``field`` of row ``row_id``; ``VaultIntegrityError`` if it fails."""
        try:
            return _open(self._aead, blob, self._associated_data(field, row_id))
        except InvalidTag:
            raise VaultIntegrityError(
                f"{field} of row {row_id} (person {self.person_id}) failed authentication"
            ) from None

    def digest(self, label: str, *parts: bytes) -> bytes:
        """A keyed digest (HMAC-SHA256) for lookups and change detection without decrypting."""
        return hmac.digest(self._index_key, frame(label.encode(), *parts), "sha256")
