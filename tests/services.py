"""Reaching the real servers tests may need (PostgreSQL, NATS).

Without a server a test skips with the reason; with ``BANKCHAT_REQUIRE_SERVICES=1`` (as
in CI) the absence is a failure instead.
"""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_URL = os.environ.get(
    "BANKCHAT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def services_required() -> bool:
    return os.environ.get("BANKCHAT_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip the running test, or fail it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (BANKCHAT_REQUIRE_SERVICES=1 makes this a failure)")
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
