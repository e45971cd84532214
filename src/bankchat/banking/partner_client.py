"""Signed calls to a bank's partner extension (docs/partner-api.md): what NextGenPSD2
lacks, such as registering the webhook through which the bank says new data exists."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from bankchat import hmac_signing
from bankchat.banking.psd2_errors import BankUnavailable, FormatError, Psd2Error
from bankchat.banking.psd2_parsing import error_message
from bankchat.banking.registry import BankEntry

WEBHOOK_EVENTS = (
    "transaction.created",
    "transaction.booked",
    "transaction.suspicious",
    "card.blocked",
    "card.unblocked",
)


class PartnerClient:
    """Requests signed with the bank's partner secret over method, path, request id, body."""

    def __init__(self, http: httpx.AsyncClient, bank: BankEntry) -> None:
        if bank.partner_base_url is None or bank.partner_secret is None:
            raise ValueError(f"bank {bank.id} has no partner extension configured")
        self._http = http
        self._root = bank.partner_base_url.rstrip("/")
        self._secret = bank.partner_secret.get_secret_value()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = httpx.URL(f"{self._root}{path}")
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        request_id = str(uuid.uuid4())
        target = url.raw_path.decode("ascii")
        headers = {
            "X-Request-ID": request_id,
            "X-Partner-Signature": hmac_signing.sign(
                self._secret,
                raw,
                int(time.time()),
                hmac_signing.request_context(method, target, request_id),
            ),
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(method, url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise BankUnavailable(503, "BANK_UNREACHABLE", type(exc).__name__) from exc
        if response.status_code >= 400:
            code, text = error_message(response)
            raise Psd2Error(response.status_code, code or f"HTTP_{response.status_code}", text)
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise FormatError(response.status_code, "FORMAT_ERROR", "not JSON") from exc

    async def ensure_webhook(self, url: str) -> str:
        """Register ``url`` for every event unless it already is; returns the webhook id."""
        listing = await self._call("GET", "/webhooks")
        for hook in listing.get("webhooks", []):
            if hook.get("url") == url:
                return str(hook["webhookId"])
        created = await self._call(
            "POST", "/webhooks", {"url": url, "events": list(WEBHOOK_EVENTS)}
        )
        return str(created["webhookId"])
