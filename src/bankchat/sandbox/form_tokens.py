"""Signed, short-lived form tokens for the bank's pages.

A token carries what a form is for, which resource it acts on, the customer who has
logged in (empty before login), when it expires and a random id, signed with HMAC-SHA256
under a random per-app secret. It keeps the login between two steps without a server-side
session, and, as no other site can mint one, it also guards the forms against CSRF.
Tokens that act (a decision, a revocation, a logout) are consumed: their id is remembered
until they expire, so a replayed form is refused.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_LIFETIME = timedelta(minutes=10)
# Consumed ids are kept only until their token expires; past this many live ones the
# signer refuses to consume more rather than forget ids that could then be replayed.
MAX_REMEMBERED = 100_000
_SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class FormTokens:
    """Issues and checks tokens under one secret, with time from ``clock``."""

    secret: bytes
    clock: Callable[[], datetime]
    lifetime: timedelta = DEFAULT_LIFETIME
    max_remembered: int = MAX_REMEMBERED
    _used: set[str] = field(default_factory=set, repr=False)
    _used_by_expiry: list[tuple[int, str]] = field(default_factory=list, repr=False)

    @classmethod
    def random(cls, clock: Callable[[], datetime]) -> FormTokens:
        return cls(secrets.token_bytes(32), clock)

    def issue(self, purpose: str, subject: str, customer_id: str = "") -> str:
        expires = int((self.clock() + self.lifetime).timestamp())
        fields = (purpose, subject, customer_id, str(expires), secrets.token_urlsafe(12))
        encoded = _b64(_SEPARATOR.join(fields).encode())
        return f"{encoded}.{self._sign(encoded)}"

    def verify(self, token: str, purpose: str, subject: str) -> str | None:
        """The customer id the token carries ("" before login), or None if it is not valid
        for ``purpose`` on ``subject``, has expired or was consumed."""
        fields = self._fields(token, purpose, subject)
        return None if fields is None else fields[2]

    def consume(self, token: str, purpose: str, subject: str) -> str | None:
        """Like :meth:`verify`, and the token is refused from now on."""
        fields = self._fields(token, purpose, subject)
        if fields is None:
            return None
        self._forget_expired()
        if len(self._used) >= self.max_remembered:
            return None
        token_id = fields[4]
        self._used.add(token_id)
        heapq.heappush(self._used_by_expiry, (int(fields[3]), token_id))
        return fields[2]

    def _fields(self, token: str, purpose: str, subject: str) -> list[str] | None:
        encoded, _, signature = token.partition(".")
        # The MAC covers the exact encoded text, so no other spelling of the same bytes
        # (base64 slack bits, padding) passes.
        if not hmac.compare_digest(self._sign(encoded).encode(), _bytes(signature)):
            return None
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        fields = payload.decode(errors="replace").split(_SEPARATOR)
        if len(fields) != 5 or fields[0] != purpose or fields[1] != subject:
            return None
        if not fields[3].isdigit() or int(fields[3]) < self.clock().timestamp():
            return None
        if fields[4] in self._used:
            return None
        return fields

    def _forget_expired(self) -> None:
        now = self.clock().timestamp()
        while self._used_by_expiry and self._used_by_expiry[0][0] < now:
            _, token_id = heapq.heappop(self._used_by_expiry)
            self._used.discard(token_id)

    def _sign(self, encoded: str) -> str:
        return hmac.new(self.secret, _bytes(encoded), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _bytes(text: str) -> bytes:
    # Form fields can carry lone surrogates; they must fail the check, not raise.
    return text.encode("utf-8", "surrogatepass")
