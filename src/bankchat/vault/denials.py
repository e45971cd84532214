"""Why the vault refuses bank data: the closed set of reasons, and the error carrying one.

A reason's value is the text audit entries and API answers have always held ("no grant",
"revoked", ...), so an entry written before this enum existed parses back with
``DenialReason(value)``.
"""

from __future__ import annotations

from enum import StrEnum

from bankchat.errors import DomainError


class DenialReason(StrEnum):
    """The rule that refused reading (or storing) bank data."""

    NO_GRANT = "no grant"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SCOPE_NOT_GRANTED = "scope not granted"
    PURPOSE_NOT_GRANTED = "purpose not granted"
    # Live grants refused the read for different reasons.
    NO_GRANT_ALLOWS_READ = "no grant allows this read"


class AccessDenied(DomainError):
    """Reading (or storing) bank data was refused; ``reason`` names the rule that refused it."""

    status = 403
    code = "ACCESS_DENIED"

    def __init__(self, resource: str, reason: DenialReason, account_id: str | None = None) -> None:
        where = f" for account {account_id}" if account_id is not None else ""
        super().__init__(
            f"Access to {resource}{where} is not allowed: {reason.value}.",
            extra={"reason": reason.value},
        )
        self.resource = resource
        self.reason = reason
        self.account_id = account_id
