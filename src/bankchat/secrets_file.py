"""Secrets kept as owner-only files in the data directory, created on first use."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """The secret stored at ``path``; a new random one (mode 0600) if the file is missing."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: if another process created it meanwhile, read theirs instead of overwriting.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
