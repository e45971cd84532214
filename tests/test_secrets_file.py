"""Secrets created in the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

from bankchat.secrets_file import read_or_create_secret


def test_secret_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret"
    read_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_is_stable_across_reads(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert read_or_create_secret(path) == read_or_create_secret(path)


def test_secrets_differ_between_files(tmp_path: Path) -> None:
    assert read_or_create_secret(tmp_path / "a") != read_or_create_secret(tmp_path / "b")
