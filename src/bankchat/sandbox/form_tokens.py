"""Signed, short-lived form tokens for the bank's pages.

A token carries what a form is for, which resource it acts on, the customer who has
logged in (empty before login) and when it expires, signed with HMAC-SHA256 under a
random per-app secret. It keeps the login between two steps without a server-side
session, and, as no other site can mint one, it also guards the forms against CSRF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_LIFETIME = timedelta(minutes=10)
_SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class FormTokens:
    """Issues and checks tokens under one secret, with time from ``clock``."""

    secret: bytes
    clock: Callable[[], datetime]
    lifetime: timedelta = DEFAULT_LIFETIME

    @classmethod
    def random(cls, clock: Callable[[], datetime]) -> FormTokens:
        return cls(secrets.token_bytes(32), clock)

    def issue(self, purpose: str, subject: str, customer_id: str = "") -> str:
        expires = int((self.clock() + self.lifetime).timestamp())
        payload = _SEPARATOR.join((purpose, subject, customer_id, str(expires))).encode()
        return f"{_b64(payload)}.{self._sign(payload)}"

    def verify(self, token: str, purpose: str, subject: str) -> str | None:
        """The customer id the token carries ("" before login), or None if it is not valid
        for ``purpose`` on ``subject`` or has expired."""
        encoded, _, signature = token.partition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            return None
        fields = payload.decode(errors="replace").split(_SEPARATOR)
        if len(fields) != 4 or fields[0] != purpose or fields[1] != subject:
            return None
        if not fields[3].isdigit() or int(fields[3]) < self.clock().timestamp():
            return None
        return fields[2]

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
