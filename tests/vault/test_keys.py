"""Master keys: parsing, the owner-only key file, ids and the keyring."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest

from bankchat.config import Settings
from bankchat.vault.keys import (
    Keyring,
    MasterKey,
    UnknownMasterKeyError,
    load_master_key,
    new_master_key,
    parse_master_key,
)

SECRET = bytes(range(100, 132))


def test_standard_base64_is_accepted() -> None:
    assert parse_master_key(base64.b64encode(SECRET).decode()).secret == SECRET


def test_base64url_without_padding_is_accepted() -> None:
    secret = b"\xfb\xff" * 16  # encodes to - and _ in base64url
    text = base64.urlsafe_b64encode(secret).decode().rstrip("=")
    assert "-" in text or "_" in text
    assert parse_master_key(text).secret == secret


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_master_key(f"  {base64.b64encode(SECRET).decode()}\n").secret == SECRET


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(b"x" * 16).decode(),
        base64.b64encode(b"x" * 33).decode(),
        "not base64 at all!",
        "",
        "ab+c-" + "A" * 39,
    ],
    ids=["16 bytes", "33 bytes", "garbage", "empty", "mixed alphabets"],
)
def test_anything_but_32_bytes_of_base64_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="master key"):
        parse_master_key(text)


def test_refusal_does_not_repeat_the_secret() -> None:
    text = base64.b64encode(b"y" * 31).decode()
    with pytest.raises(ValueError, match="master key") as raised:
        parse_master_key(text)
    assert text not in str(raised.value)


def test_key_id_is_a_prefix_of_the_secrets_sha256() -> None:
    key = MasterKey.from_secret(SECRET)
    assert key.key_id == hashlib.sha256(SECRET).hexdigest()[:16]


def test_key_id_must_belong_to_the_secret() -> None:
    with pytest.raises(ValueError, match="id"):
        MasterKey("0" * 16, SECRET)


def test_repr_does_not_show_the_secret() -> None:
    key = MasterKey.from_secret(SECRET)
    assert repr(SECRET) not in repr(key)
    assert SECRET.hex() not in repr(key)


def test_new_master_keys_differ() -> None:
    assert new_master_key().key_id != new_master_key().key_id


def test_env_key_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BANKCHAT_MASTER_KEY", base64.urlsafe_b64encode(SECRET).decode())
    key = load_master_key(Settings(data_dir=tmp_path))
    assert key.secret == SECRET
    assert not (tmp_path / "master.key").exists()


def test_bad_env_key_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BANKCHAT_MASTER_KEY", "too-short")
    with pytest.raises(ValueError, match="master key"):
        load_master_key(Settings(data_dir=tmp_path))


def test_key_file_is_created_owner_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BANKCHAT_MASTER_KEY", raising=False)
    key = load_master_key(Settings(data_dir=tmp_path / "data"))
    path = tmp_path / "data" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text().strip()) == key.secret


def test_key_file_is_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BANKCHAT_MASTER_KEY", raising=False)
    first = load_master_key(Settings(data_dir=tmp_path))
    assert load_master_key(Settings(data_dir=tmp_path)) == first


def test_corrupt_key_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BANKCHAT_MASTER_KEY", raising=False)
    fd = os.open(tmp_path / "master.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"truncated")
    os.close(fd)
    with pytest.raises(ValueError, match="master key"):
        load_master_key(Settings(data_dir=tmp_path))


def test_keyring_finds_keys_by_id() -> None:
    current, older = new_master_key(), new_master_key()
    keyring = Keyring(current, (older,))
    assert keyring.current == current
    assert keyring.get(older.key_id) == older


def test_keyring_refuses_unknown_ids() -> None:
    with pytest.raises(UnknownMasterKeyError):
        Keyring(new_master_key()).get(new_master_key().key_id)


def test_promoted_key_becomes_current_and_the_old_one_stays() -> None:
    old, new = new_master_key(), new_master_key()
    keyring = Keyring(old)
    keyring.promote(new)
    assert keyring.current == new
    assert keyring.get(old.key_id) == old
