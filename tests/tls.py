"""One TLS context for the HTTP clients that tests make. httpx otherwise builds one for
each client and loads the whole CA bundle into it, tens of milliseconds a client; the
tests make thousands. Verification stays on; nothing changes the shared context."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def shared_tls() -> ssl.SSLContext:
    """httpx's default, verifying TLS context, made once per test process."""
    return httpx.create_ssl_context()
