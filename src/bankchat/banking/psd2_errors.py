"""Typed errors of the NextGenPSD2 connector: what a bank's ``tppMessages`` mean to us.

A bank reports failures as ``{"tppMessages": [{"category": "ERROR", "code": ..., "text":
...}]}`` (or, in the spec's RFC 7807 variant, a top-level ``code``). The connector turns
that into one exception class per thing a caller reacts to differently: the consent is
gone (ask the person to link again), the bank refused an over-budget read (wait until
tomorrow), the bank is unavailable (try later), or the request was wrong (a bug here or
there). ``BudgetExhausted`` is raised on our side before anything is sent.

Messages carry the status, the code and the bank's text, never bank data we hold.
"""

from __future__ import annotations

# The bank's free text may be long; it is for log lines and exception messages only.
_TEXT_MAX = 300


class Psd2Error(Exception):
    """A NextGenPSD2 call failed with ``status`` and the spec's message ``code``."""

    def __init__(self, status: int, code: str, text: str) -> None:
        self.status = status
        self.code = code
        self.text = text[:_TEXT_MAX]
        super().__init__(f"{status} {code}: {self.text}" if self.text else f"{status} {code}")


class ConsentInvalid(Psd2Error):
    """The consent is not (or no longer) valid for this read: revoked, terminated, not yet
    authorised, or it does not cover the resource."""


class ConsentExpired(Psd2Error):
    """The consent's validUntil has passed."""


class ConsentUnknown(Psd2Error):
    """The bank does not know the Consent-ID."""


class AccessExceeded(Psd2Error):
    """The bank refused a read without the person present beyond frequencyPerDay (429
    ACCESS_EXCEEDED); retrying today is pointless."""


class ResourceUnknown(Psd2Error):
    """The addressed account, transaction or other resource does not exist at the bank."""


class FormatError(Psd2Error):
    """The bank refused the request as malformed (FORMAT_ERROR or any other 4xx), or its
    answer did not have the shape the spec prescribes."""


class BankUnavailable(Psd2Error):
    """The bank did not answer usefully (5xx, network error, timeout, a body that is not
    JSON, or a rate limit that did not lift) after the retries."""


class BudgetExhausted(Psd2Error):
    """Refused here, before sending: a read without the person present would exceed the
    consent's frequencyPerDay for that resource today."""

    def __init__(
        self,
        status: int = 429,
        code: str = "BUDGET_EXHAUSTED",
        text: str = "no reads without the PSU left today",
    ) -> None:
        super().__init__(status, code, text)


_BY_CODE: dict[str, type[Psd2Error]] = {
    "CONSENT_INVALID": ConsentInvalid,
    "CONSENT_EXPIRED": ConsentExpired,
    "CONSENT_UNKNOWN": ConsentUnknown,
    "RESOURCE_UNKNOWN": ResourceUnknown,
}


def error_for(status: int, code: str, text: str) -> Psd2Error:
    """The exception for a bank's error answer with HTTP ``status`` and message ``code``."""
    if code == "ACCESS_EXCEEDED":
        return AccessExceeded(status, code, text)
    code = code or f"HTTP_{status}"
    if status >= 500:
        return BankUnavailable(status, code, text)
    kind = _BY_CODE.get(code)
    if kind is not None:
        return kind(status, code, text)
    if status == 429:
        return BankUnavailable(status, code, text)
    return FormatError(status, code, text)


def is_unavailable(exc: Psd2Error) -> bool:
    """The bank could not be reached or did not answer (as opposed to refusing)."""
    return isinstance(exc, BankUnavailable)


def consent_gone(exc: BaseException) -> bool:
    """True if ``exc`` says the consent can no longer be used: the person must link again."""
    return isinstance(exc, ConsentInvalid | ConsentExpired | ConsentUnknown)
