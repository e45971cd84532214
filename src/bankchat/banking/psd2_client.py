"""A typed async client for a bank's NextGenPSD2 (Berlin Group XS2A 1.3.11) interface.

It speaks to any conforming bank, not only the sandbox: answers are parsed by the spec
(:mod:`bankchat.banking.psd2_parsing`) and optional fields may be absent. This module
makes the calls. What it guarantees:

- every call carries a fresh ``X-Request-ID`` (kept across the retries of that call, so
  the bank can tell a retry from a new request);
- ``PSU-IP-Address`` is sent exactly when the caller says the person is present; a read
  without the person first spends one use of the consent's ``frequencyPerDay`` from an
  :class:`AccessBudget` and is not sent at all when none is left (``BudgetExhausted``);
- errors become the typed exceptions of :mod:`bankchat.banking.psd2_errors`;
- GET and DELETE are retried with exponential backoff and jitter on network errors,
  timeouts, 5xx, a 429 other than ACCESS_EXCEEDED, and answers that are not JSON,
  honouring ``Retry-After`` (seconds, capped). ACCESS_EXCEEDED is never retried. POST is
  retried only when the connection failed before anything was sent.

Retries and the budget: a retry spends the budget again unless the failed attempt cannot
have reached the bank (connection refused, connect or pool timeout). A bank that answered
5xx, or a request that timed out while waiting for the answer, may have been counted by
the bank; spending again keeps our count at or above the bank's, so we never send more
unattended reads than the consent allows. If the budget runs out during retries, the
retries stop with ``BudgetExhausted`` (its cause is the last failure).

Bank data we read (amounts, names, remittance text) never goes into log lines or exception
messages; field names and positions do, and so does the bank's own error text (shortened).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from bankchat.banking.psd2_errors import (
    AccessExceeded,
    BankUnavailable,
    BudgetExhausted,
    ConsentExpired,
    ConsentInvalid,
    FormatError,
    Psd2Error,
    error_for,
)
from bankchat.banking.psd2_parsing import (
    ReportKey,
    distinct_hash_keys,
    error_message,
    malformed,
    parse_account_list,
    parse_balances,
    parse_consent,
    parse_consent_created,
    parse_consent_status,
    parse_transaction_page,
)
from bankchat.banking.psd2_results import (
    AccountRef,
    ConsentAccessInfo,
    ConsentCreated,
    ConsentInfo,
    KindPath,
    Psd2Account,
)
from bankchat.vault.records import Balance, TransactionRecord

# The results are part of the client's interface: callers take them from here.
__all__ = [
    "ACCOUNT_LIST_RESOURCE",
    "CARD_ACCOUNT_LIST_RESOURCE",
    "AccessBudget",
    "AccountRef",
    "ConsentAccessInfo",
    "ConsentCreated",
    "ConsentInfo",
    "InMemoryBudget",
    "KindPath",
    "Psd2Account",
    "Psd2Client",
]

log = logging.getLogger(__name__)

# The resource keys the budget (and the sandbox) count the two list reads under; a read of
# one account counts under the account's resourceId.
ACCOUNT_LIST_RESOURCE = "/accounts"
CARD_ACCOUNT_LIST_RESOURCE = "/card-accounts"

_BOOKING_STATUSES = ("booked", "pending", "both")
# A bank that keeps linking pages is either broken or hostile; 100,000 entries is plenty.
_MAX_PAGES = 1000
# Failures where the request cannot have reached the bank: safe to retry even for POST,
# and the retry of an unattended read does not spend the budget again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRIED_TRANSPORT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


# -- the budget of reads without the person -----------------------------------------------


class AccessBudget(Protocol):
    """Uses left of a consent's frequencyPerDay, per resource and day."""

    def spend(self, resource: str) -> None:
        """Take one use for ``resource`` today, or raise ``BudgetExhausted``."""


class InMemoryBudget:
    """An :class:`AccessBudget` held in memory: ``frequency_per_day`` uses per resource and
    day. ``today`` is the date, or a function giving it (default: today in UTC)."""

    def __init__(
        self, frequency_per_day: int, today: date | Callable[[], date] | None = None
    ) -> None:
        if frequency_per_day < 1:
            raise ValueError("frequency_per_day must be at least 1")
        self.frequency_per_day = frequency_per_day
        if today is None:
            self._today: Callable[[], date] = lambda: datetime.now(UTC).date()
        elif isinstance(today, date):
            fixed = today
            self._today = lambda: fixed
        else:
            self._today = today
        self._used: dict[tuple[date, str], int] = {}

    def used(self, resource: str) -> int:
        """Uses of ``resource`` spent today."""
        return self._used.get((self._today(), resource), 0)

    def spend(self, resource: str) -> None:
        key = (self._today(), resource)
        used = self._used.get(key, 0)
        if used >= self.frequency_per_day:
            raise BudgetExhausted(text=f"no reads of {resource} left today without the PSU")
        self._used[key] = used + 1


# -- what the calls check and how they retry ---------------------------------------------


def _raise_unless_valid(status: str) -> None:
    """A consent in ``status`` cannot be read with: raise what the bank would answer."""
    if status == "valid":
        return
    if status == "expired":
        raise ConsentExpired(401, "CONSENT_EXPIRED", "the consent has expired")
    raise ConsentInvalid(401, "CONSENT_INVALID", f"the consent is {status[:40]}")


def _may_list(info: ConsentInfo, kind: KindPath) -> bool:
    """Whether the consent may cover accounts of ``kind``; when in doubt, yes."""
    if info.links_accounts or info.links_card_accounts:
        return info.links_card_accounts if kind == "card-accounts" else info.links_accounts
    if not info.access.names_accounts:
        return True
    card = kind == "card-accounts"
    return any(reference.is_card == card for reference in info.access.references())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if seconds >= 0 and seconds == seconds else None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or {"http": 80, "https": 443}.get(url.scheme)


@dataclass(frozen=True, slots=True)
class _Answer:
    body: dict[str, Any]
    url: httpx.URL


class _Failure(Exception):
    """One failed attempt: the error to raise if it is the last, whether to retry, whether
    the request may have reached the bank, and how long the bank asked us to wait."""

    def __init__(
        self, error: Psd2Error, *, retry: bool, reached: bool, wait: float | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.retry = retry
        self.reached = reached
        self.wait = wait


# -- the client ---------------------------------------------------------------------------


class Psd2Client:
    """One bank's NextGenPSD2 interface at ``base_url`` (requests go to ``{base_url}/v1``)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        max_attempts: int = 4,
        backoff: float = 0.25,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tpp_name: str = "bankchat",
        max_retry_after: float = 30.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        self._base = base_url.rstrip("/")
        self._origin = _origin(httpx.URL(self._base))
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep
        self._tpp_name = tpp_name
        self._max_retry_after = max_retry_after

    # -- consents -------------------------------------------------------------------------

    async def create_consent(
        self,
        *,
        accounts: Sequence[AccountRef] | None,
        balances: bool,
        transactions: bool,
        valid_until: date,
        frequency_per_day: int,
        redirect_uri: str,
        nok_redirect_uri: str,
        psu_ip: str,
        recurring: bool = True,
    ) -> ConsentCreated:
        """Ask the bank for an AIS consent; the person authorises it at ``sca_redirect``.

        ``accounts`` None (or empty) leaves the choice of accounts to the person on the
        bank's page (the bank-offered consent), with only the scopes asked for.
        """
        if frequency_per_day < 1:
            raise ValueError("frequency_per_day must be at least 1")
        references = [reference.to_json() for reference in accounts or ()]
        access: dict[str, Any] = {"accounts": references}
        if balances:
            access["balances"] = references
        if transactions:
            access["transactions"] = references
        answer = await self._call(
            "POST",
            f"{self._base}/v1/consents",
            psu_ip=_checked_ip(psu_ip),
            json_body={
                "access": access,
                "recurringIndicator": recurring,
                "validUntil": valid_until.isoformat(),
                "frequencyPerDay": frequency_per_day,
                "combinedServiceIndicator": False,
            },
            headers={
                "TPP-Redirect-URI": redirect_uri,
                "TPP-Nok-Redirect-URI": nok_redirect_uri,
                "TPP-Redirect-Preferred": "true",
                "TPP-Brand-Logging-Information": self._tpp_name,
            },
            idempotent=False,
        )
        return parse_consent_created(answer.body, answer.url)

    async def consent_status(self, consent_id: str, *, psu_ip: str | None = None) -> str:
        """The consent's status (``valid``, ``revokedByPsu``, ...). Status reads do not count
        against frequencyPerDay, so no budget is needed."""
        answer = await self._call(
            "GET", f"{self._consent_url(consent_id)}/status", psu_ip=_checked_ip(psu_ip)
        )
        return parse_consent_status(answer.body)

    async def get_consent(self, consent_id: str, *, psu_ip: str | None = None) -> ConsentInfo:
        """The consent with what it grants (no budget needed, as for its status)."""
        answer = await self._call("GET", self._consent_url(consent_id), psu_ip=_checked_ip(psu_ip))
        return parse_consent(consent_id, answer.body)

    async def delete_consent(self, consent_id: str) -> None:
        """End the consent at the bank.

        A consent the bank does not know (any more), or one that already ended, is not an
        error: either way it can no longer be used, which is what the caller wants.
        """
        try:
            await self._call("DELETE", self._consent_url(consent_id))
        except Psd2Error as exc:
            if exc.code in ("CONSENT_UNKNOWN", "CONSENT_INVALID", "CONSENT_EXPIRED") or (
                exc.status == 404 and exc.code in ("RESOURCE_UNKNOWN", "HTTP_404")
            ):
                log.info("consent already gone at the bank", extra={"code": exc.code})
                return
            raise

    # -- account information --------------------------------------------------------------

    async def list_accounts(
        self,
        consent_id: str,
        *,
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
        consent: ConsentInfo | None = None,
    ) -> list[Psd2Account]:
        """The payment and card accounts the consent covers.

        The consent is read first (free of budget; pass ``consent`` if you just read it):
        a consent that is not valid fails here without spending a read, and the lists it
        cannot cover are not asked for. Some banks answer a list the consent covers no
        account of with 401 CONSENT_INVALID; the consent's status then tells that answer
        apart from a consent that just ended.
        """
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        if consent is not None and consent.consent_id != consent_id:
            raise ValueError("consent is the information of another consent")
        info = consent or await self.get_consent(consent_id, psu_ip=ip)
        _raise_unless_valid(info.status)
        found: list[Psd2Account] = []
        kinds: tuple[KindPath, ...] = ("accounts", "card-accounts")
        for kind in kinds:
            if not _may_list(info, kind):
                continue
            resource = ACCOUNT_LIST_RESOURCE if kind == "accounts" else CARD_ACCOUNT_LIST_RESOURCE
            try:
                answer = await self._call(
                    "GET",
                    f"{self._base}/v1/{kind}",
                    consent_id=consent_id,
                    psu_ip=ip,
                    spend=_spender(budget, resource, ip),
                )
            except ConsentInvalid:
                _raise_unless_valid(await self.consent_status(consent_id, psu_ip=ip))
                continue
            found += parse_account_list(answer.body, kind)
        return found

    async def balances(
        self,
        consent_id: str,
        account: Psd2Account,
        *,
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
    ) -> list[Balance]:
        """The account's balances as the bank reports them."""
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        answer = await self._call(
            "GET",
            f"{self._account_url(account)}/balances",
            consent_id=consent_id,
            psu_ip=ip,
            spend=_spender(budget, account.resource_id, ip),
        )
        return parse_balances(answer.body, "balances")

    async def transactions(
        self,
        consent_id: str,
        account: Psd2Account,
        *,
        date_from: date,
        date_to: date | None = None,
        booking_status: str = "both",
        psu_ip: str | None = None,
        budget: AccessBudget | None = None,
    ) -> list[TransactionRecord]:
        """Every entry of the account's report from ``date_from`` (to ``date_to``), booked
        and pending, following the bank's page links.

        Only the first page spends the budget: following ``_links.next`` continues the
        same read. Links must stay on the bank's origin. Entries without transactionId or
        entryReference get a content hash as key; identical such entries in one report
        are told apart by their order (``#2``, ``#3``, ...).
        """
        if booking_status not in _BOOKING_STATUSES:
            raise ValueError(f"booking_status must be one of {', '.join(_BOOKING_STATUSES)}")
        _require_attended_or_budget(psu_ip, budget)
        ip = _checked_ip(psu_ip)
        params = {"bookingStatus": booking_status, "dateFrom": date_from.isoformat()}
        if date_to is not None:
            params["dateTo"] = date_to.isoformat()
        report_key: ReportKey = "cardTransactions" if account.is_card else "transactions"
        answer = await self._call(
            "GET",
            f"{self._account_url(account)}/transactions",
            params=params,
            consent_id=consent_id,
            psu_ip=ip,
            spend=_spender(budget, account.resource_id, ip),
        )
        records: list[TransactionRecord] = []
        visited = {str(answer.url)}
        for page in range(_MAX_PAGES):
            entries, href = parse_transaction_page(answer.body, report_key, page)
            records += entries
            if href is None:
                return distinct_hash_keys(records)
            next_url = answer.url.join(href)
            if _origin(next_url) != self._origin:
                raise malformed(f"page {page}: {report_key}", "_links.next (another origin)")
            if str(next_url) in visited:
                raise malformed(f"page {page}: {report_key}", "_links.next (a page seen before)")
            visited.add(str(next_url))
            answer = await self._call("GET", next_url, consent_id=consent_id, psu_ip=ip)
        raise malformed(report_key, f"_links.next (more than {_MAX_PAGES} pages)")

    # -- plumbing -------------------------------------------------------------------------

    def _consent_url(self, consent_id: str) -> str:
        return f"{self._base}/v1/consents/{quote(consent_id, safe='')}"

    def _account_url(self, account: Psd2Account) -> str:
        return f"{self._base}/v1/{account.kind_path}/{quote(account.resource_id, safe='')}"

    async def _call(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        consent_id: str | None = None,
        psu_ip: str | None = None,
        headers: Mapping[str, str] | None = None,
        spend: Callable[[], None] | None = None,
        idempotent: bool = True,
    ) -> _Answer:
        """One logical call: its attempts, the budget, the waits, the mapping of errors."""
        request_headers = {"X-Request-ID": str(uuid.uuid4()), "Accept": "application/json"}
        if consent_id is not None:
            request_headers["Consent-ID"] = consent_id
        if psu_ip is not None:
            request_headers["PSU-IP-Address"] = psu_ip
        request_headers.update(headers or {})
        if spend is not None:
            spend()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(
                    method, url, params, json_body, request_headers, idempotent=idempotent
                )
            except _Failure as failure:
                last = failure
            if not last.retry or attempt >= self._max_attempts:
                raise last.error
            # The failed attempt may have been counted by the bank: as far as
            # frequencyPerDay goes, the retry is a read of its own (see the module docstring).
            if last.reached and spend is not None:
                try:
                    spend()
                except BudgetExhausted as exhausted:
                    raise exhausted from last.error
            delay = self._delay(attempt, last.wait)
            log.warning(
                "retrying a NextGenPSD2 call",
                extra={
                    "method": method,
                    "path": httpx.URL(url).path,
                    "status": last.error.status,
                    "code": last.error.code,
                    "attempt": attempt,
                    "delay": round(delay, 3),
                    "request_id": request_headers["X-Request-ID"],
                },
            )
            await self._sleep(delay)

    async def _attempt(
        self,
        method: str,
        url: str | httpx.URL,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        *,
        idempotent: bool,
    ) -> _Answer:
        try:
            response = await self._http.request(
                method, url, params=params, json=json_body, headers=headers
            )
        except httpx.TransportError as exc:
            not_sent = isinstance(exc, _NOT_SENT)
            unreachable = BankUnavailable(
                0, "NETWORK_ERROR", f"{type(exc).__name__} talking to the bank"
            )
            unreachable.__cause__ = exc
            retry = not_sent or (idempotent and isinstance(exc, _RETRIED_TRANSPORT))
            raise _Failure(unreachable, retry=retry, reached=not not_sent) from exc
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return _Answer({}, response.url)
            try:
                body = json.loads(response.content)
            except ValueError:
                garbled = BankUnavailable(status, "NOT_JSON", "the bank's answer is not JSON")
                raise _Failure(garbled, retry=idempotent, reached=True) from None
            if type(body) is not dict:
                raise FormatError(status, "MALFORMED_RESPONSE", "the answer is not a JSON object")
            return _Answer(body, response.url)
        code, text = error_message(response)
        error = error_for(status, code, text)
        if isinstance(error, AccessExceeded):
            raise error
        transient = status >= 500 or status in (408, 429)
        raise _Failure(
            error, retry=idempotent and transient, reached=True, wait=_retry_after(response)
        )

    def _delay(self, attempt: int, asked: float | None) -> float:
        if asked is not None:
            return min(asked, self._max_retry_after)
        base = self._backoff * 2.0 ** (attempt - 1)
        return base + random.uniform(0, base / 4)


def _require_attended_or_budget(psu_ip: str | None, budget: AccessBudget | None) -> None:
    if psu_ip is None and budget is None:
        raise ValueError("a read without the person present needs an AccessBudget")


def _checked_ip(psu_ip: str | None) -> str | None:
    if psu_ip is not None:
        try:
            ipaddress.ip_address(psu_ip)
        except ValueError:
            raise ValueError("psu_ip must be an IP address") from None
    return psu_ip


def _spender(
    budget: AccessBudget | None, resource: str, psu_ip: str | None
) -> Callable[[], None] | None:
    """What spends one read of ``resource``; nothing while the person is present."""
    if psu_ip is not None or budget is None:
        return None
    spend = budget.spend
    return lambda: spend(resource)
