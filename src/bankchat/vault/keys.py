"""Master keys: where they come from and which ones a process holds.

The master key wraps every person's data key. It comes from ``BANKCHAT_MASTER_KEY`` (base64
or base64url of 32 bytes) or, in embedded mode, from ``<data_dir>/master.key``, created
owner-only on first start. A key is known by an id derived from it, never by the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bankchat.config import Settings

MASTER_KEY_BYTES = 32
MASTER_KEY_FILE = "master.key"
# The key a rotation moves to, written before any data key is re-wrapped under it.
NEXT_KEY_FILE = "master.key.next"
# Keys a rotation replaced. They are kept, not deleted: a process that has not noticed
# the rotation yet may still wrap a new data key under the old key; the operator deletes
# them once every process has restarted and a rotation re-wrapped nothing.
RETIRED_KEY_FILES = "master.key.retired-*"


def master_key_id(secret: bytes) -> str:
    """The public name of a master key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(secret).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class MasterKey:
    """A 256-bit master key and its id; the secret never shows in reprs or logs."""

    key_id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != MASTER_KEY_BYTES:
            raise ValueError(f"a master key must be {MASTER_KEY_BYTES} bytes")
        if self.key_id != master_key_id(self.secret):
            raise ValueError("the master key id does not belong to this secret")

    @classmethod
    def from_secret(cls, secret: bytes) -> MasterKey:
        return cls(master_key_id(secret), secret)


class UnknownMasterKeyError(LookupError):
    """A data key is wrapped under a master key this process was not given."""


def new_master_key() -> MasterKey:
    """A fresh random master key."""
    return MasterKey.from_secret(secrets.token_bytes(MASTER_KEY_BYTES))


def parse_master_key(text: str) -> MasterKey:
    """The master key written as base64 or base64url (padding optional) of 32 bytes.

    Errors never repeat the input: it is a secret even when it is malformed.
    """
    compact = text.strip()
    if "-" in compact or "_" in compact:
        if "+" in compact or "/" in compact:
            raise ValueError("the master key mixes base64 and base64url alphabets")
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        secret = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the master key is not valid base64 or base64url") from None
    if len(secret) != MASTER_KEY_BYTES:
        raise ValueError(
            f"the master key must encode exactly {MASTER_KEY_BYTES} bytes, not {len(secret)}"
        )
    return MasterKey.from_secret(secret)


def _read_or_create_key_file(path: Path) -> MasterKey:
    try:
        return parse_master_key(path.read_text())
    except FileNotFoundError:
        pass
    return _create_key_file(path)


def _create_key_file(path: Path) -> MasterKey:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = new_master_key()
    # O_EXCL: a process that starts at the same moment must not overwrite the key another
    # one already used; it reads that one instead.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return parse_master_key(path.read_text())
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key.secret).decode("ascii") + "\n")
    return key


def load_master_key(settings: Settings) -> MasterKey:
    """The configured master key, or the data directory's key file (created if missing)."""
    if settings.master_key is not None:
        return parse_master_key(settings.master_key.get_secret_value())
    return _read_or_create_key_file(settings.data_dir / MASTER_KEY_FILE)


def _data_dir_keys(settings: Settings) -> list[MasterKey]:
    """The key files of the data directory: the key, a rotation's next key if any, and
    the retired keys rotations replaced."""
    paths = [
        settings.data_dir / MASTER_KEY_FILE,
        settings.data_dir / NEXT_KEY_FILE,
        *sorted(settings.data_dir.glob(RETIRED_KEY_FILES)),
    ]
    return [parse_master_key(path.read_text()) for path in paths if path.exists()]


def load_keyring(settings: Settings) -> Keyring:
    """The current master key and the older ones still accepted for unwrapping.

    With ``BANKCHAT_MASTER_KEY`` the older keys are ``BANKCHAT_MASTER_KEY_PREVIOUS``. With
    the key file, a rotation's next key counts too, and the files are read again when a
    data key names a master key this process does not hold: another process may have
    rotated meanwhile.
    """
    if settings.master_key is not None:
        older = tuple(
            parse_master_key(text)
            for text in (
                settings.master_key_previous.get_secret_value().split(",")
                if settings.master_key_previous
                else []
            )
            if text.strip()
        )
        return Keyring(load_master_key(settings), older)
    current = load_master_key(settings)
    return Keyring(
        current, tuple(_data_dir_keys(settings)), reload=lambda: _data_dir_keys(settings)
    )


def begin_rotation(settings: Settings) -> MasterKey:
    """The key to move every data key to, on disk before anything is wrapped under it.

    With ``BANKCHAT_MASTER_KEY`` that is the configured key itself: the operator sets the
    new key there and the old one in ``BANKCHAT_MASTER_KEY_PREVIOUS``, restarts, and then
    rotates. With the key file a new key is written next to it (mode 0600) and replaces
    it in ``finish_rotation``; a rotation cut short resumes with the key it wrote.
    """
    if settings.master_key is not None:
        return load_master_key(settings)
    path = settings.data_dir / NEXT_KEY_FILE
    if path.exists():
        return parse_master_key(path.read_text())
    return _create_key_file(path)


def finish_rotation(settings: Settings) -> None:
    """Make the rotated-to key the data directory's key file; the old one is retired."""
    pending = settings.data_dir / NEXT_KEY_FILE
    current = settings.data_dir / MASTER_KEY_FILE
    if settings.master_key is not None or not pending.exists():
        return
    old = parse_master_key(current.read_text())
    retired = settings.data_dir / RETIRED_KEY_FILES.replace("*", old.key_id)
    if not retired.exists():
        fd = os.open(retired, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(current.read_text())
    os.replace(pending, current)


class Keyring:
    """The master key new wraps use, plus older ones still accepted for unwrapping."""

    def __init__(
        self,
        current: MasterKey,
        older: tuple[MasterKey, ...] = (),
        *,
        reload: Callable[[], list[MasterKey]] | None = None,
    ) -> None:
        self._current = current
        self._keys = {key.key_id: key for key in (*older, current)}
        self._reload = reload

    @property
    def current(self) -> MasterKey:
        return self._current

    def get(self, key_id: str) -> MasterKey:
        """The master key named ``key_id``; ``UnknownMasterKeyError`` if not held."""
        if key_id not in self._keys and self._reload is not None:
            for key in self._reload():
                self._keys.setdefault(key.key_id, key)
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownMasterKeyError(
                f"master key {key_id} is not configured in this process"
            ) from None

    def promote(self, key: MasterKey) -> None:
        """Make ``key`` the one new wraps use; the previous keys stay usable for unwrapping."""
        self._keys[key.key_id] = key
        self._current = key
