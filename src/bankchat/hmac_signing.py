"""HMAC-SHA256 signatures for HTTP messages exchanged with a bank's partner extension.

The signed message is ``b"<unix seconds>."``, then each context part followed by a
newline, then the raw body; the header value is ``t=<unix seconds>,v1=<hex digest>``.
Webhook deliveries have no context (``b"<t>." + body``); requests to the bank use
:func:`request_context` (method, path with query, X-Request-ID) so a signature is bound
to one request. Binding the timestamp lets the receiver refuse old messages;
:class:`ReplayGuard` refuses a message id seen before inside the tolerance window.
Used by the sandbox bank and by the platform alike, so it depends on nothing but the
standard library.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
from collections.abc import Sequence

DEFAULT_TOLERANCE = 300  # seconds a signature stays acceptable on either side of "now"

_HEADER = re.compile(r"^t=(?P<t>[0-9]{1,12}),v1=(?P<v1>[0-9a-f]{64})$")


class SignatureError(Exception):
    """A signed message that must not be trusted."""


class MalformedSignature(SignatureError):
    """The header is not ``t=<digits>,v1=<64 hex digits>``."""


class SignatureMismatch(SignatureError):
    """The MAC does not match the body, timestamp and secret."""


class StaleTimestamp(SignatureError):
    """The signature is older than the tolerance allows."""


class FutureTimestamp(SignatureError):
    """The signature claims a time further ahead than the tolerance allows."""


class ReplayedMessage(SignatureError):
    """The message was already accepted once inside the tolerance window."""


class ReplayGuardFull(SignatureError):
    """Too many messages inside the window to remember; refused rather than forgotten."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def request_context(method: str, path_with_query: str, request_id: str) -> tuple[str, str, str]:
    """The context parts of a request to the bank: method, path as sent, X-Request-ID."""
    return (method.upper(), path_with_query, request_id)


def signed_message(timestamp: int, body: bytes, context: Sequence[str] = ()) -> bytes:
    """The bytes the MAC covers: ``"<t>."``, each context part plus ``"\n"``, the body.

    A part may not contain a newline (HTTP request lines and header values cannot), so
    the parts and the body never run into each other: no two contexts share a message.
    """
    for part in context:
        if "\n" in part:
            raise ValueError("a signed context part must not contain a newline")
    head = f"{timestamp}." + "".join(f"{part}\n" for part in context)
    # surrogatepass: any str a caller hands over has exactly one byte form, never an error.
    return head.encode("utf-8", "surrogatepass") + body


def _digest(secret: str | bytes, message: bytes) -> str:
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, body: bytes, timestamp: int, context: Sequence[str] = ()) -> str:
    """The signature header value for ``body`` (in ``context``) sent at ``timestamp``."""
    if timestamp < 0:
        raise ValueError("timestamp must not be negative")
    return f"t={timestamp},v1={_digest(secret, signed_message(timestamp, body, context))}"


def parse(header: str) -> tuple[int, str]:
    """The timestamp and hex digest of a signature header; raises MalformedSignature."""
    match = _HEADER.match(header.strip())
    if match is None:
        raise MalformedSignature("signature header must look like t=<unix seconds>,v1=<hex>")
    return int(match["t"]), match["v1"]


def verify(
    secret: str | bytes,
    body: bytes,
    header: str,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
    context: Sequence[str] = (),
) -> None:
    """Check that ``header`` signs ``body`` in ``context`` with ``secret`` within
    ``tolerance`` of ``now``.

    Raises a :class:`SignatureError` subclass when it does not.
    """
    timestamp, given = parse(header)
    try:
        message = signed_message(timestamp, body, context)
    except ValueError:
        raise SignatureMismatch("a part of the request cannot have been signed") from None
    # The MAC is checked before the clock so a forged header learns nothing about timing.
    if not hmac.compare_digest(given, _digest(secret, message)):
        raise SignatureMismatch("signature does not match the message")
    if timestamp < now - tolerance:
        raise StaleTimestamp(f"signature is older than {tolerance} seconds")
    if timestamp > now + tolerance:
        raise FutureTimestamp(f"signature is more than {tolerance} seconds in the future")


class ReplayGuard:
    """Remembers accepted message ids until their signatures expire anyway.

    An id is a webhook event id or a request's X-Request-ID. Only messages whose
    signature already verified should be passed in, so an attacker without the secret
    cannot fill the memory; when it is full anyway, new messages are refused
    (:class:`ReplayGuardFull`) rather than old ones forgotten, which would let them be
    replayed.
    """

    def __init__(self, tolerance: int = DEFAULT_TOLERANCE, capacity: int = 100_000) -> None:
        self.tolerance = tolerance
        self.capacity = capacity
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def check(self, message_id: str, timestamp: int, now: float) -> None:
        """Accept ``message_id`` signed at ``timestamp`` once; raise if seen before."""
        self._forget_expired(now)
        if message_id in self._expiry:
            raise ReplayedMessage("message was already received")
        if len(self._expiry) >= self.capacity:
            raise ReplayGuardFull("too many recent messages to check for replays")
        # Once the signature is past the tolerance, verify() refuses it by itself.
        expires = max(float(timestamp + self.tolerance), now)
        self._expiry[message_id] = expires
        heapq.heappush(self._queue, (expires, message_id))

    def _forget_expired(self, now: float) -> None:
        while self._queue and self._queue[0][0] < now:
            _, message_id = heapq.heappop(self._queue)
            self._expiry.pop(message_id, None)
